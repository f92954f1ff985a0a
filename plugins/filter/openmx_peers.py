# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter turning omx_info's output into its peer table."""

from __future__ import annotations

DOCUMENTATION = r"""
name: openmx_peers
short_description: Peer table of Open-MX's C(omx_info) output
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Parses the text printed by Open-MX's C(omx_info) and returns the peer table it lists after
    the C(Peer table is ready) (or C(not configured yet)) line, one entry per peer.
  - Understands both the older format of the Grid'5000 tutorial (Open-MX 1.3, each line an index,
    a closing parenthesis and the MAC address) and the 1.5 format (the same followed by
    C(hostname:board)); a peer whose name is unknown (C(<unknown>)) has no hostname.
  - Lines before the peer table (version, boards, warnings) are ignored, so the whole standard
    output can be given.
options:
  _input:
    description: Standard output of C(omx_info).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the peer table
  ansible.builtin.command: /opt/open-mx/bin/omx_info
  register: omx_info
  changed_when: false

- name: Every node of the group is a peer
  ansible.builtin.assert:
    that: >-
      groups['openmx'] | map('extract', hostvars, ['ansible_facts', 'eth0', 'macaddress']) | list
      | difference(omx_info.stdout | g5k.testbed.openmx_peers | map(attribute='mac') | list)
      | length == 0
"""

RETURN = r"""
_value:
  description: The peers, in the order printed.
  type: list
  elements: dict
  contains:
    index:
      description: Index of the peer in the driver's table.
      type: int
    mac:
      description: Board (interface) MAC address of the peer, lower case.
      type: str
    hostname:
      description: Name the peer announced, as printed (C(node:board)); null when unknown or not printed.
      type: str
    host:
      description: The host part of RV(_value[].hostname); null when there is no hostname.
      type: str
    board:
      description: The board number after the colon of RV(_value[].hostname); null when absent.
      type: int
"""

import re

from ansible.errors import AnsibleFilterError

_TABLE_START = re.compile(r"^Peer table (is ready|is not configured yet)")
_PEER = re.compile(
    r"^\s*(?P<index>\d+)\)\s+(?P<mac>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?:\s+(?P<name>\S+))?\s*$"
)
_NAME = re.compile(r"^(?P<host>.+):(?P<board>\d+)$")


def _peer(match: re.Match[str]) -> dict:
    name = match.group("name")
    if name in (None, "<unknown>"):
        name = None
    named = _NAME.match(name) if name else None
    return {
        "index": int(match.group("index")),
        "mac": match.group("mac").lower(),
        "hostname": name,
        "host": named.group("host") if named else name,
        "board": int(named.group("board")) if named else None,
    }


def openmx_peers(output):
    """Return the peers listed in omx_info's output."""
    if not isinstance(output, str):
        raise AnsibleFilterError(
            f"openmx_peers expects omx_info's output as a string, got {type(output).__name__}"
        )
    peers = []
    in_table = False
    for line in output.splitlines():
        if _TABLE_START.match(line):
            in_table = True
            continue
        if not in_table:
            continue
        match = _PEER.match(line)
        if match:
            peers.append(_peer(match))
    return peers


class FilterModule:
    """Open-MX filters."""

    def filters(self):
        return {"openmx_peers": openmx_peers}
