"""Properties of the parsers that stand between users' input and the API (issue 21): api_uri,
walltime numbers YAML made, job names, subnets given by hand."""

import ipaddress
import urllib.parse

import pytest
import yaml
from hypothesis import assume, given, strategies as st

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError
from ansible_collections.g5k.testbed.plugins.module_utils.api_uri import parse_api_uri, uri_secrets, without_userinfo
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import MAX_NAME_LENGTH, check_job_name
from ansible_collections.g5k.testbed.plugins.module_utils.oar_resources import normalize_walltime
from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import range_holding

HOST = st.one_of(st.from_regex(r"\A[a-z][a-z0-9-]{0,15}(\.[a-z][a-z0-9]{0,8}){0,3}\Z"),
                 st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(lambda ip: "[%s]" % ip))
PATH = st.from_regex(r"\A(/[a-z0-9.]{1,8}){0,3}\Z")
SECRET = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=4, max_size=20)
SITE_RANGE = "10.156.0.0/14"


@given(st.sampled_from(["http", "https"]), HOST, st.one_of(st.none(), st.integers(1, 65535)), PATH)
def test_a_well_formed_uri_parses_to_its_parts_and_back(scheme, host, port, path):
    text = "%s://%s%s%s" % (scheme, host, "" if port is None else ":%d" % port, path)
    parsed = parse_api_uri(text)
    assert (parsed.scheme, parsed.port, parsed.path) == (scheme, port, path.rstrip("/"))
    assert parsed.host == host.strip("[]") and parsed.root == text.rstrip("/")
    assert parse_api_uri(parsed.root).root == parsed.root


@given(st.sampled_from(["http", "https"]), HOST, PATH, st.sampled_from(["?", "#"]), st.from_regex(r"\A[a-z0-9=&]{0,8}\Z"))
def test_a_query_or_fragment_is_always_refused(scheme, host, path, mark, tail):
    with pytest.raises(ValueError, match="query .* or a fragment"):
        parse_api_uri("%s://%s%s%s%s" % (scheme, host, path, mark, tail))


@given(st.text(max_size=40))
def test_any_text_parses_or_is_refused_with_a_value_error(text):
    try:
        parsed = parse_api_uri(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert parsed.scheme in ("http", "https") and parsed.host


@given(st.from_regex(r"\A[a-z]{1,8}\Z"), SECRET, HOST, PATH)
def test_credentials_in_the_uri_are_taken_out_and_every_form_is_a_secret(login, secret, host, path):
    assume("@" not in secret and "/" not in secret and "?" not in secret and "#" not in secret)
    written = urllib.parse.quote(secret, safe="")
    text = "https://%s:%s@%s%s" % (login, written, host, path)
    parsed = parse_api_uri(text)
    assert (parsed.username, parsed.password) == (login, secret)
    assert written not in parsed.root.replace(host, "") and secret not in without_userinfo(text).replace(host, "")
    assert written in uri_secrets(text) and secret in uri_secrets(text)


@given(st.integers(1, 10 ** 7))
def test_a_yaml_number_walltime_is_refused_with_a_quoted_text_yaml_reads_as_that_number(number):
    with pytest.raises(ValueError) as err:
        normalize_walltime(number)
    message = str(err.value)
    quoted = [part.split('"')[1] for part in message.split('walltime: ')[1:] if part.startswith('"')]
    assert quoted, message
    for text in quoted:
        # what the message tells to write is a valid walltime, and unquoted it was this number
        assert normalize_walltime(text)
        if number >= 60:
            assert yaml.safe_load("w: %s" % text)["w"] == number, (text, number)


@given(st.floats(min_value=0.02, max_value=1000, allow_nan=False))
def test_a_float_walltime_hint_is_accepted_as_text(number):
    with pytest.raises(ValueError) as err:
        normalize_walltime(number)
    if "write walltime:" in str(err.value):
        assert normalize_walltime(str(err.value).split('walltime: "')[1].split('"')[0])


@given(st.text(min_size=1, max_size=MAX_NAME_LENGTH, alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF)))
def test_a_job_name_is_kept_exactly_or_refused_with_a_reason(name):
    try:
        assert check_job_name(name) == name
    except G5kInputError as exc:
        assert name != name.strip() or not name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name), exc


@given(st.integers(0, 2 ** 32 - 1), st.integers(8, 32))
def test_a_subnet_is_accepted_exactly_when_inside_the_site_range(address, prefix):
    block = ipaddress.ip_network((address, prefix), strict=False)
    inside = block.subnet_of(ipaddress.ip_network(SITE_RANGE))
    try:
        range_holding([str(block)], [("the site's subnet range", SITE_RANGE)])
        assert inside
    except ValueError as exc:
        assert not inside and "outside the site's subnet range" in str(exc)


@given(st.ip_addresses(v=6), st.integers(0, 128))
def test_an_ipv6_subnet_is_never_accepted(address, prefix):
    block = ipaddress.ip_network((address, prefix), strict=False)
    with pytest.raises(ValueError, match="not an IPv4 subnet"):
        range_holding([str(block)], [("the site's subnet range", SITE_RANGE)])
