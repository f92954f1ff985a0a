"""The fabric's records: only processes it started are ever signalled (no root needed)."""
import os
import subprocess
import sys
import time
from pathlib import Path

from g5k_emulator.fabric.state import FabricState


def test_a_recorded_pid_that_is_not_ours_is_never_signalled(tmp_path):
    state = FabricState(tmp_path / "state")
    state.pid_file("dhcp-rennes-4").write_text(str(os.getpid()))   # e.g. reused after a reboot
    assert state.pid("dhcp-rennes-4") is None
    state.stop("dhcp-rennes-4")                                     # must not kill this test
    assert not (state.pid_dir / "dhcp-rennes-4.pid").exists()


def test_our_process_is_stopped_by_its_recorded_pid(tmp_path):
    state = FabricState(tmp_path / "state")
    marker = str(state.dir / "pids")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    # until the child has exec'd, /proc shows the forking parent's command line
    deadline = time.monotonic() + 30
    while marker not in Path(f"/proc/{child.pid}/cmdline").read_bytes().decode(errors="replace"):
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.01)
    state.pid_file("api").write_text(str(child.pid))
    assert state.pid("api") == child.pid
    state.stop("api")
    assert child.wait(timeout=30) != 0
    assert state.pid("api") is None and state.pid_names() == []


def test_membership_survives_in_the_state_file(tmp_path):
    state = FabricState(tmp_path / "state")
    assert state.load() == {"ports": {}, "dhcp_off": []}
    with state.locked():
        state.save({"ports": {"parasilo-1.rennes.grid5000.fr": "rennes/4"}, "dhcp_off": ["rennes-4"]})
    assert FabricState(tmp_path / "state").load()["ports"] == {"parasilo-1.rennes.grid5000.fr": "rennes/4"}
