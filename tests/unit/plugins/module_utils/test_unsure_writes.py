"""Writes whose answer may be lost: answered, refused, lost with or without an effect, unreadable."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kApiError
from ansible_collections.g5k.testbed.plugins.module_utils.unsure_writes import UnconfirmedWrite, lost_note, write_or_read_back


def failing(status):
    def write():
        raise G5kApiError("submit job x at rennes", "POST", "/sites/rennes/jobs", status, "", "a hint")
    return write


def never_read():
    raise AssertionError("an answered or refused write must not be read back")


def test_an_answered_write_is_not_read_back():
    assert write_or_read_back(lambda: {"uid": 7}, never_read) == ({"uid": 7}, None)


def test_a_refusal_is_raised_without_reading_back():
    with pytest.raises(G5kApiError) as raised:
        write_or_read_back(failing(400), never_read)
    assert raised.value.status == 400


@pytest.mark.parametrize("status", [-1, 502, 503])
def test_a_lost_answer_returns_what_the_read_back_found(status):
    found, lost = write_or_read_back(failing(status), lambda: {"uid": 12})
    assert found == {"uid": 12} and lost.status == status and lost.path == "/sites/rennes/jobs"


def test_a_lost_answer_with_nothing_done_raises_the_write_error():
    with pytest.raises(G5kApiError) as raised:
        write_or_read_back(failing(-1), lambda: None)
    assert raised.value.status == -1 and raised.value.hint == "a hint"


def test_a_failing_read_back_is_named_in_the_write_error():
    def unreadable():
        raise G5kApiError("list jobs", "GET", "/sites/rennes/jobs", 503)

    with pytest.raises(UnconfirmedWrite) as raised:
        write_or_read_back(failing(-1), unreadable)
    assert raised.value.status == -1 and raised.value.operation == "submit job x at rennes"
    assert raised.value.unread.status == 503
    assert raised.value.hint.startswith("a hint; reading back whether the platform acted failed too (list jobs")
    assert "so it MAY have done it" in raised.value.hint


def test_lost_note_names_the_request_only_when_an_answer_was_lost():
    assert lost_note(None) == ""
    lost = G5kApiError("submit", "POST", "/sites/rennes/jobs", -1)
    assert lost_note(lost) == " (no answer to POST /sites/rennes/jobs: found by reading back)"
