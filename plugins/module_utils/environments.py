# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kadeploy environments through the API, what ``kaenv3 -l`` lists (PRIVATE).

Public API (stable):

- ``ENVIRONMENT_FIELDS``: the fields of an environment the modules return.
- ``list_environments(client, site, name=None, user=None, arch=None, latest_only=True)`` -> the
  environments (``GET /sites/{site}/environments``), each reduced to ``ENVIRONMENT_FIELDS``.
- ``check_environment(client, site, environment, version=None, arch=None)`` -> the environment
  Kadeploy would deploy for ``name`` or ``name@owner`` (its latest version unless ``version``), or
  ``G5kInputError`` saying what is wrong (unknown name with the closest names, no such version,
  not built for the nodes' architecture). ``None`` for an environment given by URL, which only
  Kadeploy reads.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError, path_of

ENVIRONMENT_FIELDS = ("uid", "name", "version", "arch", "alias", "description", "os", "visibility", "user",
                      "destructive")


def _reduced(env):
    return dict((key, env.get(key)) for key in ENVIRONMENT_FIELDS)


def list_environments(client, site, name=None, user=None, arch=None, latest_only=True):
    params = {"name": name, "user": user, "arch": arch, "latest_only": "yes" if latest_only else "no"}
    items = client.list_items(path_of("sites", site, "environments"), "list the environments of %s" % site, params)
    # a server that ignores a filter must not make another environment pass for the one asked
    items = [e for e in items if (name is None or e.get("name") == name) and (user is None or e.get("user") == user)
             and (arch is None or e.get("arch") == arch)]
    return sorted((_reduced(e) for e in items), key=lambda e: (e["name"] or "", e["user"] or "", e["arch"] or "",
                                                               -(e["version"] or 0)))


def check_environment(client, site, environment, version=None, arch=None):
    if environment.startswith(("http://", "https://")):
        return None
    name, owner = (environment.split("@", 1) + [""])[:2]
    versions = list_environments(client, site, name=name, user=owner or None, latest_only=False)
    if not versions:
        known = sorted(set(e["name"] for e in list_environments(client, site, user=owner or None, arch=arch)))
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        raise G5kInputError("environment %r does not exist at %s%s: %s" % (
            environment, site, " for user %s" % owner if owner else "",
            ("did you mean %s?" % " or ".join(close)) if close else "its environments are %s" % (", ".join(known) or "none")))
    if arch is not None:
        built = sorted(set(e["arch"] for e in versions if e["arch"]))
        versions = [e for e in versions if e["arch"] in (None, arch)]
        if not versions:
            raise G5kInputError("environment %r at %s is built for %s, not for %s (the nodes' architecture)" % (
                environment, site, ", ".join(built), arch))
    if version is not None:
        matching = [e for e in versions if str(e["version"]) == str(version)]
        if not matching:
            raise G5kInputError("environment %r has no version %s at %s: its versions are %s" % (
                environment, version, site, ", ".join(str(v) for v in sorted(set(e["version"] for e in versions), reverse=True))))
        versions = matching
    return versions[0]
