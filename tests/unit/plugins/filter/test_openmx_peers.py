"""openmx_peers: the peer table of omx_info's output."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.g5k.testbed.plugins.filter.openmx_peers import FilterModule, openmx_peers

# Output of Open-MX 1.3.4 in the Grid'5000 KaVLAN tutorial (three nodes, no peer names).
TUTORIAL_1_3 = """\
Open-MX version 1.3.4
 build: Wed Mar  9 16:23:47 CET 2011

Found 1 boards (32 max) supporting 32 endpoints each: (board #0 name eth0 addr 00:26:b9:3f:40:af)
   managed by driver 'bnx2'
   WARNING: high interrupt-coalescing

Peer table is ready, mapper is 00:00:00:00:00:00
  0) 00:26:b9:3f:40:af
  1) 00:26:b9:3f:43:a1
  2) 00:26:b9:3f:4a:3d
"""

# Open-MX 1.5.4 layout (tools/omx_info.c and libopen-mx/omx_peer.c printf formats): boards,
# a separator, then "  %d) %s %s" with the peer's name, "<unknown>" when it has none.
RELEASE_1_5 = """\
Open-MX version 1.5.4
 build: root@node-1:/usr/local/src/open-mx/src Sat Nov 21 06:09:36 UTC 2026

Found 2 boards (32 max) supporting 32 endpoints each:
 node-1:0 (board #0 name eth1 addr 02:00:0A:00:00:01)
   managed by driver 'virtio_net'
 node-1:1 (board #1 name eth2 addr 02:00:0a:00:01:01)
   managed by driver 'virtio_net'

Peer table is ready, mapper is 02:00:0a:00:00:01
================================================
  0) 02:00:0A:00:00:01 node-1:0
  1) 02:00:0a:00:01:01 node-1:1
  2) 02:00:0a:00:00:02 node-2.lyon.grid5000.fr:0
  7) 02:00:0a:00:00:09 <unknown>
"""


def test_tutorial_output_lists_three_peers_by_mac():
    peers = openmx_peers(TUTORIAL_1_3)
    assert [p["mac"] for p in peers] == ["00:26:b9:3f:40:af", "00:26:b9:3f:43:a1", "00:26:b9:3f:4a:3d"]
    assert [p["index"] for p in peers] == [0, 1, 2]
    assert all(p["hostname"] is None and p["host"] is None and p["board"] is None for p in peers)


def test_board_lines_before_the_table_are_not_peers():
    # The board line carries a MAC too: only the table after "Peer table" counts.
    macs = [p["mac"] for p in openmx_peers(RELEASE_1_5)]
    assert macs.count("02:00:0a:00:00:01") == 1


def test_release_output_gives_names_boards_and_lowercase_macs():
    peers = openmx_peers(RELEASE_1_5)
    assert peers[0] == {"index": 0, "mac": "02:00:0a:00:00:01", "hostname": "node-1:0", "host": "node-1", "board": 0}
    assert peers[2]["host"] == "node-2.lyon.grid5000.fr" and peers[2]["board"] == 0
    assert peers[3] == {"index": 7, "mac": "02:00:0a:00:00:09", "hostname": None, "host": None, "board": None}


def test_unconfigured_table_and_missing_table():
    assert openmx_peers("Found 0 boards (32 max) supporting 32 endpoints each:\n\nPeer table is not configured yet\n") == []
    # omx_info without the driver prints only its version (the error goes to stderr).
    assert openmx_peers("Open-MX version 1.5.4\n build: x\n\n") == []


def test_a_missing_group_node_is_visible_as_a_set_difference():
    group_macs = {"00:26:b9:3f:40:af", "00:26:b9:3f:43:a1", "00:26:b9:3f:4a:3d", "00:26:b9:3f:50:00"}
    listed = {p["mac"] for p in openmx_peers(TUTORIAL_1_3)}
    assert group_macs - listed == {"00:26:b9:3f:50:00"}


@pytest.mark.parametrize("value", [None, 3, ["  0) 00:26:b9:3f:40:af"]])
def test_non_text_input_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="expects omx_info's output as a string"):
        openmx_peers(value)


def test_registered_under_its_name():
    assert FilterModule().filters()["openmx_peers"] is openmx_peers
