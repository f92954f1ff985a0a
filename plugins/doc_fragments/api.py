# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options of every g5k.testbed module and of the inventory plugin
    # (plugins/module_utils/api_client.py, api_settings.py).
    DOCUMENTATION = r"""
options:
  api_uri:
    description:
      - Root of the Grid'5000 REST API, including the version (C(/stable)).
      - Resolved from this option, then environment variable E(G5K_API_URI), then key C(uri) of the
        python-grid5000 configuration file, then the default V(https://api.grid5000.fr/stable).
      - Point it at the emulated site (for example V(http://127.0.0.1:8000/stable)) to work offline.
      - Checked before any request - C(http) or C(https), a host, a port from 1 to 65535 (IPv6
        addresses in brackets), no query (C(?...)) or fragment (C(#...)), which would make every
        request read the API root.
      - Credentials written inside it (V(https://login:password@host/stable)) are taken out, used
        to log in like O(api_username)/O(api_password), and hidden in the task's output at every
        verbosity, percent-encoded or not; a login there that differs from O(api_username) is refused.
    type: str
  api_username:
    description:
      - Grid'5000 login used for HTTP basic authentication.
      - Resolved from this option, E(G5K_API_USERNAME), then key C(username) of the configuration file.
      - Leave unset on a Grid'5000 frontend, where requests are authenticated for you (anonymous client).
    type: str
  api_password:
    description:
      - Password of O(api_username).
      - Resolved from this option, E(G5K_API_PASSWORD), then key C(password) of the configuration file.
    type: str
  api_config:
    description:
      - Path of the python-grid5000 configuration file (a YAML mapping with C(uri), C(username),
        C(password), C(verify_ssl)).
      - Defaults to E(G5K_API_CONFIG), then C(~/.python-grid5000.yaml). A missing file is not an error.
      - Read with PyYAML where the task runs (the controller for the inventory plugin and for tasks
        delegated to localhost); when the file exists and PyYAML is missing, the task fails with a
        message naming the package to install (C(python3-yaml) on Debian).
    type: path
  validate_certs:
    description:
      - Verify the API's TLS certificate.
      - Resolved from this option, E(G5K_API_VALIDATE_CERTS), then key C(verify_ssl) of the
        configuration file (a path there is used as the CA bundle), then V(true).
      - Only set V(false) for a server you trust.
    type: bool
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the API's TLS certificate.
      - Checked before any request - a missing, unreadable or non-PEM file is an error that says so.
    type: path
  api_timeout:
    description:
      - Seconds to wait for each HTTP answer, more than 0.
    type: int
    default: 30
  api_retries:
    description:
      - How many times an idempotent request (read, PUT, DELETE, VLAN membership change) is retried
        after HTTP 429, 5xx or a connection error, with exponential backoff (1, 2, 4... seconds,
        longer when the API sends C(Retry-After)).
      - Creating a job or a deployment is never retried, so a retry can never duplicate it.
    type: int
    default: 4
notes:
  - Modules send their API calls through C(fetch_url), the inventory plugin (on the controller, with
    no module) through C(open_url); both with the User-Agent C(g5k.testbed/<version>) and the same
    client, so the same retries, redirect rule, hints and error messages.
  - Error messages name the operation, the HTTP method and path, the status and the API's text answer.
  - A 2xx answer that is not JSON (a proxy's or a login page), or a read answered with anything but
    a JSON object, is an error that names the answer, not a crash.
  - Redirects are followed only to the scheme, host and port of O(api_uri), because the credentials
    go with every request; a redirect elsewhere is refused with a message naming its target.
seealso:
  - name: Grid'5000 REST API
    description: The API these modules drive.
    link: https://www.grid5000.fr/w/API
"""

    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/g5k.testbed.g5k) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - g5k.testbed.g5k
"""
