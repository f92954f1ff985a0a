"""The per-job-name lock of oar_job's steps: one holder at a time, per name."""

import threading
import time

from ansible_collections.g5k.testbed.plugins.plugin_utils.job_name_lock import job_name_lock


def test_a_second_holder_of_one_name_waits_for_the_first(tmp_path):
    order = []

    def second():
        with job_name_lock("exp", directory=str(tmp_path)):
            order.append("second")

    with job_name_lock("exp", directory=str(tmp_path)):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]


def test_other_names_do_not_wait_and_the_lock_folder_is_private(tmp_path):
    folder = tmp_path / "locks"
    with job_name_lock("exp", directory=str(folder)) as first:
        with job_name_lock("other", directory=str(folder)) as second:
            assert first != second
    assert folder.stat().st_mode & 0o777 == 0o700 and len(list(folder.iterdir())) == 2
