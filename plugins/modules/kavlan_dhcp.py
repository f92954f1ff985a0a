#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kavlan_dhcp
short_description: Start or stop the DHCP server of a KaVLAN VLAN held by the user's job
version_added: 0.1.0
description:
  - Replaces C(kavlan -e) (start) and C(kavlan -d) (stop), typically to stop the platform's DHCP
    server of a VLAN before running your own (see the C(g5k.testbed.dhcpd) role).
  - The Grid'5000 API offers no way to READ whether a VLAN's DHCP server runs. This module does not
    pretend to know - every run sends the start or stop request, which the platform applies
    idempotently, and reports C(changed=true) because it cannot prove nothing changed. In check
    mode it reports C(changed=true) and sends nothing. RV(state_known) is always V(false) to say so.
  - This is the one g5k.testbed module whose second run reports a change again. To keep a
    playbook's second run at C(changed=0), send the request only when it matters, for example
    with the condition C(job is changed), right after the VLAN was reserved.
  - Before the request, the module checks that the site runs OAR, that the VLAN exists there and
    that it is held by one of the user's active jobs (when the user is known).
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    details: The current state cannot be read, so there is nothing to compare.
  idempotent:
    support: partial
    details:
      - The platform applies start and stop idempotently, but the module cannot read the state and
        so reports a change on every run.
options:
  site:
    description: Site of the VLAN.
    type: str
    required: true
  vlan:
    description: VLAN id (not V(DEFAULT), whose DHCP belongs to the platform).
    type: str
    required: true
  state:
    description:
      - V(started) runs the VLAN's DHCP server, V(stopped) stops it.
      - Required, with no default - the platform starts a VLAN's DHCP server when the VLAN is
        reserved, and a task that names only O(site) and O(vlan) must not stop it by surprise.
    type: str
    choices: [started, stopped]
    required: true
seealso:
  - module: g5k.testbed.kavlan_vlan
"""

EXAMPLES = r"""
- name: Stop the platform DHCP server of the job's VLAN (kavlan -d) before running our own
  g5k.testbed.kavlan_dhcp:
    site: rennes
    vlan: "{{ job.jobs[0].vlans[0] }}"
    state: stopped

- name: Give the VLAN its DHCP server back (kavlan -e)
  g5k.testbed.kavlan_dhcp:
    site: rennes
    vlan: "4"
    state: started
"""

RETURN = r"""
action:
  description: The action sent (or, in check mode, that would be sent).
  returned: success
  type: str
  sample: stop
state_known:
  description: Always V(false) - the API cannot tell whether the DHCP server was already in the wanted state.
  returned: success
  type: bool
  sample: false
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 3
"""


from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError
from ansible_collections.g5k.testbed.plugins.module_utils.kavlan_api import set_dhcpd
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import api_user, held_resources
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog

ACTIONS = {"started": "start", "stopped": "stop"}


def work(module, client, done):
    params = module.params
    site, vlan = params["site"], str(params["vlan"]).strip()
    catalog = ReferenceCatalog(client)
    catalog.oar_site(site, "KaVLAN")
    kinds = catalog.vlan_kinds(site)
    if vlan.upper() == "DEFAULT" or vlan not in kinds:
        raise G5kInputError("VLAN %s cannot be used at %s: give one of its VLAN ids %s" % (
            vlan, site, ", ".join(v for v in sorted(kinds, key=lambda v: (len(v), v)) if v != "DEFAULT")))
    user = api_user(client)
    if user:
        held = held_resources(client, site, user)[1]
        if vlan not in held:
            raise G5kInputError("VLAN %s is not in an active job of %s at %s (held: %s)" % (
                vlan, user, site, ", ".join(sorted(held)) or "none"))
    action = ACTIONS[params["state"]]
    if not module.check_mode:
        set_dhcpd(client, site, vlan, action)
        done.record("sent %s to the DHCP server of VLAN %s at %s" % (action, vlan, site))
    return {"changed": True, "action": action, "state_known": False}


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            site=dict(type="str", required=True),
            vlan=dict(type="str", required=True),
            state=dict(type="str", choices=["started", "stopped"], required=True),
        ),
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(module, client, done))


if __name__ == "__main__":
    main()
