# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter telling which Debian packages dpkg does not list as installed."""

from __future__ import annotations

DOCUMENTATION = r"""
name: packages_missing
short_description: Debian packages that C(dpkg-query) does not report as installed
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Given the packages a role needs and the lines printed by
    C(dpkg-query --show --showformat '${Package} ${db:Status-Abbrev}\n' PACKAGE...), returns the
    packages not fully installed, in the order they were asked for.
  - A package is installed when its status reads C(ii) (wanted install, installed). Packages
    dpkg does not know (not printed at all), removed ones that kept their configuration (C(rc))
    and half-installed ones (C(iU), C(iF)...) are missing.
  - The roles of this collection use it to install only what is missing (no package cache
    update when nothing is), and to say in check mode what a real run would install; it needs
    no python3-apt on the node, which apt's own check mode does.
options:
  _input:
    description: The packages needed, by name.
    type: list
    elements: str
    required: true
  dpkg_lines:
    description:
      - The output lines of the C(dpkg-query) command above (its C(stdout_lines)); an empty list
        when it printed nothing (no package known).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Find which packages are missing
  ansible.builtin.command:
    argv: [dpkg-query, --show, --showformat, "${Package} ${db:Status-Abbrev}\n", iperf3, netpipe-tcp]
  register: dpkg
  changed_when: false
  failed_when: false
  check_mode: false

- name: Install the missing ones (nothing, not even a cache update, when none is)
  ansible.builtin.apt:
    name: "{{ missing }}"
    update_cache: true
  when: missing | length > 0
  vars:
    missing: "{{ ['iperf3', 'netpipe-tcp'] | g5k.testbed.packages_missing(dpkg.stdout_lines) }}"
"""

RETURN = r"""
_value:
  description: The needed packages that are not installed, in the order of the input.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def _installed(lines) -> set[str]:
    """Packages whose status abbreviation is `ii` (dpkg pads it to three columns: `ii `)."""
    installed = set()
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[1] == "ii":
            installed.add(fields[0].split(":")[0])  # multi-arch names carry `:amd64`
    return installed


def packages_missing(packages, dpkg_lines):
    """Return the packages of `packages` that `dpkg_lines` does not list as installed."""
    for name, value in (("packages", packages), ("dpkg_lines", dpkg_lines)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise AnsibleFilterError(f"packages_missing expects {name} as a list of strings, got {value!r}")
    installed = _installed(dpkg_lines)
    return [package for package in packages if package not in installed]


class FilterModule:
    """Debian package filters."""

    def filters(self):
        return {"packages_missing": packages_missing}
