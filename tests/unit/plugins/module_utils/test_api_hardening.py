"""What careless and hostile inputs and a misbehaving API get from the client (issue 21):
redirects, answers of the wrong shape, unusable connection settings, the API root without
its version."""

import base64

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import (
    FetchUrlTransport,
    G5kApiClient,
    G5kApiError,
    OpenUrlTransport,
)
from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import (
    ApiSettings,
    ApiSettingsError,
    resolve_api_settings,
)
from g5k_fake_api import BASE, Reply

TRANSPORTS = ["fetch_url", "open_url"]
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


class FakeModule:
    def __init__(self):
        self.params = {}


def client(kind, uri=BASE, retries=0):
    settings = ApiSettings(uri=uri, username="jdoe", password="jdoe-secret", retries=retries)
    transport = FetchUrlTransport(FakeModule()) if kind == "fetch_url" else OpenUrlTransport()
    return G5kApiClient(settings, transport, sleep=lambda s: None)


def settings_from(tmp_path, **options):
    return resolve_api_settings(options, environ={}, config_path=str(tmp_path / "none.yaml"))


# ---- D2: redirects ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", TRANSPORTS)
@pytest.mark.parametrize("target", ["http://127.0.0.2:8080/stable/sites", "https://evil.invalid/stable/sites",
                                    "http://api.test.invalid/stable/sites", "https://api.test.invalid:8443/stable/sites"])
def test_a_redirect_to_another_scheme_host_or_port_is_refused_naming_it(fake_api, kind, target):
    fake_api.on("GET", "/sites", Reply(302, headers={"Location": target}))
    with pytest.raises(G5kApiError) as err:
        client(kind).get("/sites", "list sites")
    message = str(err.value)
    assert "list sites failed: GET /sites returned HTTP 302: redirected to %s" % target in message
    assert "not followed, so the credentials are not sent there" in message
    assert len(fake_api.calls) == 1  # the target never got a request, nor the password


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_redirect_on_the_same_host_is_followed_with_the_credentials(fake_api, kind):
    fake_api.on("GET", "/sites", Reply(301, headers={"Location": "/stable/sites/"}))
    fake_api.json("GET", "/sites/", {"items": [], "total": 0})
    assert client(kind).get("/sites", "list sites") == {"items": [], "total": 0}
    second = {k.lower(): v for k, v in fake_api.calls[1].headers.items()}
    assert second["authorization"] == "Basic " + base64.b64encode(b"jdoe:jdoe-secret").decode()


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_redirect_loop_ends_with_a_clear_error(fake_api, kind):
    fake_api.on("GET", "/sites", Reply(302, headers={"Location": BASE + "/sites"}))
    with pytest.raises(G5kApiError) as err:
        client(kind).get("/sites", "list sites")
    assert "returned HTTP 302: more than 5 redirects" in str(err.value)


def test_a_redirect_target_with_credentials_is_shown_without_them(fake_api):
    fake_api.on("GET", "/sites", Reply(302, headers={"Location": "http://eve:pw123@127.0.0.2/x"}))
    with pytest.raises(G5kApiError) as err:
        client("open_url").get("/sites", "list sites")
    assert "redirected to http://127.0.0.2/x" in str(err.value) and "pw123" not in str(err.value)


# ---- D5: answers of the wrong shape ------------------------------------------------------------

@pytest.mark.parametrize("kind", TRANSPORTS)
@pytest.mark.parametrize("text, shown", [("[1,2,3]", "JSON list [1, 2, 3]"), ('"hello"', 'JSON str "hello"'),
                                         ("", "an empty answer"), ("null", "an empty answer"), ("42", "JSON int 42")])
def test_a_read_answered_with_no_json_object_is_an_error_naming_the_answer(fake_api, kind, text, shown):
    fake_api.on("GET", "/sites/rennes", Reply(200, text=text))
    with pytest.raises(G5kApiError) as err:
        client(kind).get("/sites/rennes", "read site rennes")
    assert "read site rennes failed: GET /sites/rennes returned HTTP 200: expected a JSON object, got %s" % shown in str(err.value)
    assert "the root of the Grid'5000 API (ending in /stable)" in str(err.value)


# ---- D20: an API root without the version ------------------------------------------------------

@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_404_without_the_version_in_api_uri_names_the_api_root(fake_api, kind):
    fake_api.on("GET", "/sites", Reply(404, text="No route matches [GET] \"/sites\""))
    with pytest.raises(G5kApiError) as err:
        client(kind, uri="https://api.test.invalid").get("/sites", "list sites")
    assert "It ends with the API version, as in https://api.grid5000.fr/stable" in str(err.value)


# ---- D4, D15: api_uri --------------------------------------------------------------------------

@pytest.mark.parametrize("uri, message", [
    ("http://127.0.0.1:8000/stable#x", "holds a query (?...) or a fragment (#...)"),
    ("http://127.0.0.1:8000/stable?x=1", "holds a query (?...) or a fragment (#...)"),
    ("http://[::1/stable", "cannot be read (Invalid IPv6 URL)"),
    ("http://127.0.0.1:99999/stable", "cannot be read (Port out of range"),
    ("ftp://127.0.0.1/stable", "must start with http:// or https://"),
    ("http:///stable", "names no host"),
    ("http://127.0.0.1:0/stable", "empty or zero port"),
])
def test_unusable_api_uris_are_refused_before_any_request(tmp_path, uri, message):
    with pytest.raises(ApiSettingsError) as err:
        settings_from(tmp_path, api_uri=uri)
    assert message in str(err.value)


def test_an_unreadable_uri_with_a_password_never_shows_it(tmp_path):
    with pytest.raises(ApiSettingsError) as err:
        settings_from(tmp_path, api_uri="http://jdoe:hunter2@[::1/stable")
    assert "hunter2" not in str(err.value)


def test_a_percent_encoded_password_is_among_the_secrets(tmp_path):
    settings = settings_from(tmp_path, api_uri="http://jdoe:jdoe%2Dsecret@127.0.0.1:8000/stable")
    assert settings.password == "jdoe-secret" and "jdoe%2Dsecret" in settings.secrets


# ---- D16: connection settings checked first ----------------------------------------------------

@pytest.mark.parametrize("options, message", [
    (dict(api_timeout=0), "api_timeout is 0: give the seconds to wait for each answer, more than 0"),
    (dict(api_timeout=-1), "api_timeout is -1"),
    (dict(api_retries=-1), "api_retries is -1: give 0 or more"),
    (dict(ca_path="/nonexistent/ca.pem"), "ca_path /nonexistent/ca.pem cannot be read (No such file or directory)"),
])
def test_unusable_connection_settings_are_refused_before_any_request(tmp_path, options, message):
    with pytest.raises(ApiSettingsError) as err:
        settings_from(tmp_path, **options)
    assert message in str(err.value)


def test_a_ca_path_that_is_not_pem_is_refused(tmp_path):
    der = tmp_path / "ca.der"
    der.write_bytes(b"\x30\x82\x01\x0a\x02\x82")
    with pytest.raises(ApiSettingsError) as err:
        settings_from(tmp_path, ca_path=str(der))
    assert "holds no PEM certificate" in str(err.value)
    pem = tmp_path / "ca.pem"
    pem.write_text(PEM)
    assert settings_from(tmp_path, ca_path=str(pem)).ca_path == str(pem)


def test_a_ca_bundle_path_from_the_config_file_is_checked_too(tmp_path):
    conf = tmp_path / "g5k.yaml"
    conf.write_text("verify_ssl: /nonexistent/bundle.crt\n")
    with pytest.raises(ApiSettingsError) as err:
        resolve_api_settings({"api_config": str(conf)}, environ={})
    assert "ca_path /nonexistent/bundle.crt cannot be read" in str(err.value)
