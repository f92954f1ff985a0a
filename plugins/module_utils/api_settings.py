# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the Grid'5000 API connection settings come from (PRIVATE to the collection).

Each setting is resolved on its own, first match wins:
task option > environment variable > ``~/.python-grid5000.yaml`` (the file python-grid5000 and
EnOSlib already read, a YAML mapping read with PyYAML) > default. No username means anonymous
access, which is what a Grid'5000 frontend expects.

Public API (stable, used by the modules and the inventory plugin):

- ``DEFAULT_API_URI``, ``ENV_VARS`` (setting -> environment variable name).
- ``ApiSettings``: ``uri`` (the parsed root, never holds credentials), ``parsed`` (its ``ApiUri``),
  ``secrets`` (texts to hide from output), ``username``, ``password``,
  ``validate_certs``, ``ca_path``, ``timeout``, ``retries``, ``retry_delay``, ``warnings`` (texts
  for the user, e.g. a config file holding a password that others can read); ``anonymous`` property.
- ``resolve_api_settings(options, environ=None, config_path=None)`` -> ``ApiSettings``;
  raises ``ApiSettingsError`` with a message that says what to fix. The URI is parsed once
  (``module_utils/api_uri.py``); credentials written in it (``https://login:password@host/stable``)
  are taken out of it and used to log in. The connection settings are checked before any request:
  ``ca_path`` a readable PEM file, ``api_timeout`` above 0, ``api_retries`` not negative.
- ``check_connection_settings(ca_path, timeout, retries)``: those checks alone.
- ``read_config_file(path)`` -> the file's mapping, {} when there is no file; ``ApiSettingsError``
  when it is no YAML mapping, or when PyYAML is missing (the message names python3-yaml).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.g5k.testbed.plugins.module_utils.api_uri import parse_api_uri, uri_secrets

try:
    import yaml
    HAS_YAML = True
except ImportError:  # modules run on hosts that may lack it: only a config file needs it
    HAS_YAML = False

DEFAULT_API_URI = "https://api.grid5000.fr/stable"
DEFAULT_CONFIG_PATH = "~/.python-grid5000.yaml"
ENV_VARS = {
    "uri": "G5K_API_URI",
    "username": "G5K_API_USERNAME",
    "password": "G5K_API_PASSWORD",
    "validate_certs": "G5K_API_VALIDATE_CERTS",
    "config": "G5K_API_CONFIG",
}
# Base of the exponential backoff between retries, in seconds (not an option: api_retries is).
RETRY_DELAY = 1.0
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class ApiSettingsError(ValueError):
    """The connection settings are unusable; the message names the setting and its source."""


class ApiSettings:
    """Resolved connection settings (plain attributes, no I/O)."""

    def __init__(self, uri=DEFAULT_API_URI, username=None, password=None, validate_certs=True,
                 ca_path=None, timeout=30, retries=4, retry_delay=RETRY_DELAY, warnings=(), parsed=None):
        self.parsed = parsed or parse_api_uri(uri)
        self.uri = self.parsed.root
        self.warnings = list(warnings)
        self.username = username
        self.password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = retries
        self.retry_delay = retry_delay
        # what output must never show: the password, also as written (percent-encoded) in the URI
        self.secrets = [s for s in [password] + uri_secrets(uri) if s]

    @property
    def anonymous(self):
        return not self.username

    def __repr__(self):  # never show the password
        return "ApiSettings(uri=%r, username=%r, validate_certs=%r)" % (
            self.uri, self.username, self.validate_certs)


def _to_bool(value, source):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ApiSettingsError("%s: expected a boolean, got %r" % (source, value))


def read_config_file(path):
    """The mapping in a python-grid5000 config file, {} if it does not exist."""
    path = os.path.expanduser(path)
    if not os.path.exists(path):
        return {}
    if not HAS_YAML:
        raise ApiSettingsError("reading %s needs the Python library PyYAML, missing on the host the task runs on: "
                               "install python3-yaml (apt-get install python3-yaml), or give the settings as "
                               "options or G5K_API_* variables" % path)
    try:
        with open(path) as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        raise ApiSettingsError("cannot read %s: %s" % (path, exc))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ApiSettingsError("%s is not valid YAML: %s" % (path, exc))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiSettingsError("%s must hold a mapping (uri, username, password, verify_ssl), not %s"
                               % (path, type(data).__name__))
    return data


def exposed_password_warning(path, config):
    """A warning when a config file holding a password is readable by group or others (as ssh
    says of private keys), else None. The file is still used: refusing it would break runs."""
    if not config.get("password"):
        return None
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return None
    if not mode & 0o044:
        return None
    return ("%s holds a password and is readable by group or others (mode %04o): run chmod 600 %s"
            % (path, mode, path))


PEM_MARKER = b"-----BEGIN CERTIFICATE-----"


def check_connection_settings(ca_path, timeout, retries):
    """What would otherwise fail only after every retry, as if the API were unreachable."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ApiSettingsError("api_timeout is %r: give the seconds to wait for each answer, more than 0 (default 30)"
                               % (timeout,))
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ApiSettingsError("api_retries is %r: give 0 or more (default 4)" % (retries,))
    if ca_path is None:
        return
    path = os.path.expanduser(str(ca_path))
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024 * 1024)
    except (IOError, OSError) as exc:
        raise ApiSettingsError("ca_path %s cannot be read (%s): give the PEM file of the certificate "
                               "authorities to trust, e.g. /etc/ssl/certs/ca-certificates.crt" % (path, exc.strerror or exc))
    if PEM_MARKER not in head:
        raise ApiSettingsError("ca_path %s holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line): "
                               "give the CA bundle in PEM form (convert a DER file with openssl x509 -inform der)" % path)


def resolve_api_settings(options, environ=None, config_path=None):
    """Settings from task options (keys ``api_uri``, ``api_username``, ``api_password``,
    ``validate_certs``, ``ca_path``, ``api_timeout``, ``api_retries``, ``api_config``), then the
    environment, then the config file."""
    environ = os.environ if environ is None else environ
    options = dict((k, v) for k, v in (options or {}).items() if v is not None)
    path = options.get("api_config") or config_path or environ.get(ENV_VARS["config"]) or DEFAULT_CONFIG_PATH
    config = read_config_file(path)
    expanded = os.path.expanduser(path)

    def pick(option, key, file_key):
        if option in options:
            return options[option], "option %s" % option
        if environ.get(ENV_VARS[key]):
            return environ[ENV_VARS[key]], "environment variable %s" % ENV_VARS[key]
        if config.get(file_key) is not None:
            return config[file_key], "%s key %s" % (expanded, file_key)
        return None, None

    uri, uri_source = pick("api_uri", "uri", "uri")
    try:
        parsed = parse_api_uri(DEFAULT_API_URI if uri is None else uri)
    except ValueError as exc:
        raise ApiSettingsError("%s (from %s)" % (exc, uri_source))
    uri_username, uri_password = parsed.username, parsed.password
    username, username_source = pick("api_username", "username", "username")
    password = pick("api_password", "password", "password")[0]
    if uri_username is not None or uri_password is not None:
        if username is not None and username != uri_username:
            raise ApiSettingsError(
                "%s holds the login %s but %s says %s: give the credentials once (api_username and "
                "api_password are the usual place)" % (uri_source, uri_username, username_source, username))
        username, password = uri_username, uri_password if uri_password is not None else password
    verify, verify_source = pick("validate_certs", "validate_certs", "verify_ssl")
    ca_path = options.get("ca_path")
    if verify is None:
        verify = True
    elif (verify_source.startswith(expanded) and isinstance(verify, str)
          and verify.strip().lower() not in TRUE_WORDS + FALSE_WORDS):
        # python-grid5000 accepts a CA bundle path in verify_ssl: keep verifying, with that bundle
        ca_path = ca_path or verify
        verify = True
    else:
        verify = _to_bool(verify, verify_source)
    if username and not password:
        raise ApiSettingsError(
            "a username (%s) is set but no password: set api_password, %s or 'password' in %s"
            % (username, ENV_VARS["password"], expanded))
    if password and not username:
        raise ApiSettingsError(
            "a password is set but no username: set api_username, %s or 'username' in %s"
            % (ENV_VARS["username"], expanded))
    timeout, retries = options.get("api_timeout", 30), options.get("api_retries", 4)
    check_connection_settings(ca_path, timeout, retries)
    return ApiSettings(
        uri=DEFAULT_API_URI if uri is None else uri, username=username or None, password=password or None,
        validate_certs=verify, ca_path=ca_path, timeout=timeout, retries=retries, parsed=parsed,
        warnings=[w for w in (exposed_password_warning(expanded, config),) if w])
