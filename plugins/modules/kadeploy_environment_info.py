#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kadeploy_environment_info
short_description: The Kadeploy environments a Grid'5000 site can deploy (kaenv3 -l)
version_added: 0.1.0
description:
  - Replaces C(kaenv3 -l) as a read-only task - the environments of a site, filtered by name,
    owner and architecture, with their versions.
  - Use it in a playbook's preflight to check an environment name before anything is reserved
    (M(g5k.testbed.kadeploy) checks it again before deploying).
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes.info_module
options:
  site:
    description: Site whose environments to list.
    type: str
    required: true
  name:
    description: Only the environments with this name (V(debian12-min)); V(name@owner) also sets O(user).
    type: str
  user:
    description: Only the environments of this owner (V(deploy) for the platform's public ones).
    type: str
  arch:
    description: Only the environments built for this architecture (V(x86_64), V(aarch64), V(ppc64le)).
    type: str
  latest_only:
    description: Only the latest version of each environment, as C(kaenv3 -l) shows; V(false) lists every version.
    type: bool
    default: true
  must_exist:
    description:
      - Fail when the site has no environment O(name), with the closest names it has (the check
        g5k.testbed.kadeploy makes before deploying), instead of returning an empty list.
      - Needs O(name).
    type: bool
    default: false
seealso:
  - module: g5k.testbed.kadeploy
"""

EXAMPLES = r"""
- name: Check the environment before reserving anything
  g5k.testbed.kadeploy_environment_info:
    site: rennes
    name: debian12-min
    arch: x86_64
  register: env

- name: Stop before reserving when the site has no such environment (the message gives the closest names)
  g5k.testbed.kadeploy_environment_info:
    site: rennes
    name: debian12-min
    must_exist: true

- name: Every version of an environment (kaenv3 -l --all-versions)
  g5k.testbed.kadeploy_environment_info:
    site: rennes
    name: debian12-min
    latest_only: false
"""

RETURN = r"""
environments:
  description: The environments found, by name, owner and architecture, latest version first.
  returned: success
  type: list
  elements: dict
  contains:
    uid:
      description: Unique id (name and version).
      type: str
      sample: debian12-min_2025092316
    name:
      description: Name to give M(g5k.testbed.kadeploy).
      type: str
      sample: debian12-min
    version:
      description: Version (Kadeploy versions are dates, C(yyyymmddhh)).
      type: int
      sample: 2025092316
    arch:
      description: Architecture it is built for.
      type: str
      sample: x86_64
    alias:
      description: Alias of the environment.
      type: str
      sample: debian12-x64-min
    description:
      description: What the environment holds.
      type: str
      sample: Debian 12 (bookworm) for x64 - min
    os:
      description: Operating system family.
      type: str
      sample: linux
    visibility:
      description: V(public), V(shared) or V(private).
      type: str
      sample: public
    user:
      description: Owner.
      type: str
      sample: deploy
    destructive:
      description: Whether deploying it erases the other partitions.
      type: bool
      sample: false
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 2
"""


from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError
from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.environments import check_environment, list_environments
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog


def work(module, client):
    params = module.params
    name, user = params["name"], params["user"]
    if name and "@" in name:
        name, owner = name.split("@", 1)
        user = user or owner
    ReferenceCatalog(client).oar_site(params["site"], "Kadeploy")
    if params["must_exist"]:
        if not params["name"]:
            raise G5kInputError("must_exist needs name: the environment to look for")
        check_environment(client, params["site"], params["name"], arch=params["arch"])
    return {"changed": False, "environments": list_environments(
        client, params["site"], name=name, user=user, arch=params["arch"], latest_only=params["latest_only"])}


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            site=dict(type="str", required=True),
            name=dict(type="str"),
            user=dict(type="str"),
            arch=dict(type="str"),
            latest_only=dict(type="bool", default=True),
            must_exist=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(module, client))


if __name__ == "__main__":
    main()
