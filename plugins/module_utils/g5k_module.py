# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule every g5k.testbed API module is (PRIVATE to the collection).

Two things AnsibleModule does not do on its own, and that must happen before its argument
validation can fail (its failure shows the task's arguments at -vvv):

- a password written inside ``api_uri`` (also percent-encoded) is hidden in every output, and so
  is a private key given by mistake where a public key is expected;
- a text option given a list or a mapping is refused: Ansible would turn ``name: [a, b]`` into the
  text ``"['a', 'b']"`` and a job would be named so.

Public API (stable):

- ``G5kModule(argument_spec, ...)``: AnsibleModule with the above.
- ``not_text_problems(argument_spec, params)`` -> messages for text options (and lists of text)
  given a list or a mapping.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.g5k.testbed.plugins.module_utils.api_uri import uri_secrets
from ansible_collections.g5k.testbed.plugins.module_utils.ssh_public_keys import PRIVATE_MARKERS

URI_OPTION = "api_uri"


def _kind(value):
    return "a list" if isinstance(value, (list, tuple)) else "a mapping"


def not_text_problems(argument_spec, params):
    problems = []
    for name, spec in sorted(argument_spec.items()):
        value = (params or {}).get(name)
        if value is None:
            continue
        if spec.get("type", "str") == "str" and isinstance(value, (list, tuple, dict)):
            problems.append("%s must be text, got %s (%r): quote it, or give one value" % (name, _kind(value), value))
        elif (spec.get("type") == "list" and spec.get("elements") == "str" and isinstance(value, list)
              and any(isinstance(item, (list, tuple, dict)) for item in value)):
            problems.append("%s must be a list of text, an item is %s: flatten it" % (
                name, _kind(next(i for i in value if isinstance(i, (list, tuple, dict))))))
    return problems


class G5kModule(AnsibleModule):

    def _load_params(self):
        super(G5kModule, self)._load_params()
        # before validation: a failing validation already prints the arguments
        self.no_log_values.update(uri_secrets(self.params.get(URI_OPTION)))
        self.no_log_values.update(value for value in self.params.values()
                                  if isinstance(value, str) and any(marker in value for marker in PRIVATE_MARKERS))
        self._not_text = not_text_problems(self.argument_spec, self.params)

    def __init__(self, *args, **kwargs):
        super(G5kModule, self).__init__(*args, **kwargs)
        if self._not_text:
            self.fail_json(msg="; ".join(self._not_text), changed=False)
