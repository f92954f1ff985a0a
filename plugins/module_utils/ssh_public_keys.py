# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What may be installed as root's SSH key by a deployment (PRIVATE to the collection).

A deployment stores its key where every user of the site can read it back
(``GET /sites/<site>/deployments``): a private key given by mistake must never leave the
controller, and a text that is no key would leave the nodes without a usable root login.

Public API (stable):

- ``check_public_keys(text, source)`` -> the keys, one per line (``authorized_keys`` lines:
  ``type base64 [comment]``); ``ValueError`` naming ``source`` and the fix otherwise. A private
  key is refused with a message that says so and never quotes it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import struct

KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File", "SSH2 ENCRYPTED PRIVATE KEY")


def _blob_type(blob):
    """The key type written at the start of the key's binary form (a length-prefixed string)."""
    if len(blob) < 4:
        return None
    size = struct.unpack(">I", blob[:4])[0]
    return blob[4:4 + size].decode("ascii", "replace") if 0 < size <= len(blob) - 4 else None


def _check_line(line, source, number):
    where = "%s line %d" % (source, number)
    fields = line.split()
    kind = next((i for i, field in enumerate(fields) if field in KEY_TYPES), None)
    if kind is None or kind + 1 >= len(fields):
        raise ValueError("%s is not an SSH public key (expected 'ssh-ed25519 AAAA... comment', as in a .pub "
                         "file): give the public key, e.g. key_file: ~/.ssh/id_ed25519.pub" % where)
    try:
        data = fields[kind + 1]
        blob = base64.b64decode((data + "=" * (-len(data) % 4)).encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        blob = b""
    if _blob_type(blob) != fields[kind]:
        raise ValueError("%s: the %s key's data is damaged (not the base64 of a %s key): copy the line from the "
                         ".pub file again" % (where, fields[kind], fields[kind]))
    return line


def check_public_keys(text, source):
    if any(marker in text for marker in PRIVATE_MARKERS):
        raise ValueError("%s is a PRIVATE key: it was not sent. A deployment key is readable by every user of the "
                         "site, so give the PUBLIC key (the .pub file, e.g. key_file: ~/.ssh/id_ed25519.pub)" % source)
    lines = [line.strip() for line in text.splitlines()]
    keys = [_check_line(line, source, n) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not keys:
        raise ValueError("%s is empty: give an SSH public key (the .pub file)" % source)
    return keys
