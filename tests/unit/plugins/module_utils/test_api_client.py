"""The API client: settings resolution, transports, retries, error messages, paging."""

import base64

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils import api_client
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import (
    FetchUrlTransport,
    G5kApiClient,
    G5kApiError,
    OpenUrlTransport,
    path_of,
)
from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import (
    ApiSettings,
    ApiSettingsError,
    resolve_api_settings,
)
from g5k_fake_api import BASE, Reply


class FakeModule:
    def __init__(self):
        self.params = {}


def make_client(kind, username="jdoe", retries=3, sleeps=None):
    settings = ApiSettings(uri=BASE, username=username, password="secret" if username else None,
                           retries=retries, retry_delay=1.0)
    transport = FetchUrlTransport(FakeModule()) if kind == "fetch_url" else OpenUrlTransport()
    record = sleeps if sleeps is not None else []
    return G5kApiClient(settings, transport, sleep=record.append)


TRANSPORTS = ["fetch_url", "open_url"]


# ---- settings -------------------------------------------------------------------------------

def test_options_beat_env_which_beat_the_config_file(tmp_path):
    conf = tmp_path / "g5k.yaml"
    conf.write_text("uri: https://file.invalid/stable\nusername: fileuser\npassword: filepw\nverify_ssl: false\n")
    env = {"G5K_API_URI": "https://env.invalid/stable", "G5K_API_CONFIG": str(conf)}
    settings = resolve_api_settings({"api_username": "optuser", "api_password": "optpw"}, environ=env)
    assert settings.uri == "https://env.invalid/stable"
    assert (settings.username, settings.password) == ("optuser", "optpw")
    assert settings.validate_certs is False


def test_config_file_alone_gives_every_setting(tmp_path):
    conf = tmp_path / "g5k.yaml"
    conf.write_text("uri: http://127.0.0.1:9/stable/\nusername: jdoe\npassword: 'pw'\n")
    settings = resolve_api_settings({"api_config": str(conf)}, environ={})
    assert (settings.uri, settings.username, settings.password) == ("http://127.0.0.1:9/stable", "jdoe", "pw")
    assert settings.validate_certs is True


def test_verify_ssl_path_in_file_keeps_verification_with_that_bundle(tmp_path):
    conf = tmp_path / "g5k.yaml"
    conf.write_text("verify_ssl: /etc/ssl/certs/ca-certificates.crt\n")
    settings = resolve_api_settings({"api_config": str(conf)}, environ={})
    assert settings.validate_certs is True
    assert settings.ca_path == "/etc/ssl/certs/ca-certificates.crt"


def test_nothing_configured_means_anonymous_default_uri_and_tls_on(tmp_path):
    settings = resolve_api_settings({}, environ={"G5K_API_CONFIG": str(tmp_path / "absent.yaml")})
    assert settings.anonymous
    assert settings.uri == "https://api.grid5000.fr/stable"
    assert settings.validate_certs is True


@pytest.mark.parametrize("options, fragment", [
    ({"api_username": "jdoe"}, "no password"),
    ({"api_password": "x"}, "no username"),
    ({"api_uri": "api.grid5000.fr/stable"}, "must start with http"),
    ({"validate_certs": "maybe"}, None),
])
def test_unusable_settings_are_refused_with_what_to_fix(tmp_path, options, fragment):
    env = {"G5K_API_CONFIG": str(tmp_path / "absent.yaml")}
    if fragment is None:  # a non-boolean validate_certs from the environment
        env["G5K_API_VALIDATE_CERTS"] = "maybe"
        options = {}
        fragment = "expected a boolean"
    with pytest.raises(ApiSettingsError, match=fragment):
        resolve_api_settings(options, environ=env)


def test_config_file_that_is_not_a_mapping_is_refused(tmp_path):
    conf = tmp_path / "g5k.yaml"
    conf.write_text("- a\n- b\n")
    with pytest.raises(ApiSettingsError, match="must hold a mapping"):
        resolve_api_settings({"api_config": str(conf)}, environ={})


# ---- requests -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", TRANSPORTS)
def test_get_sends_user_agent_basic_auth_and_decodes_json(fake_api, kind):
    fake_api.json("GET", "/sites/rennes", {"uid": "rennes"})
    client = make_client(kind)
    assert client.get("/sites/rennes", "read site") == {"uid": "rennes"}
    headers = {k.lower(): v for k, v in fake_api.calls[0].headers.items()}
    assert headers["user-agent"].startswith("g5k.testbed/")
    assert base64.b64decode(headers["authorization"].split()[1]) == b"jdoe:secret"


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_anonymous_client_sends_no_authorization(fake_api, kind):
    fake_api.json("GET", "/sites", {"items": [], "total": 0})
    make_client(kind, username=None).get("/sites", "list sites")
    assert "authorization" not in {k.lower() for k in fake_api.calls[0].headers}


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_get_is_retried_with_backoff_then_succeeds(fake_api, kind):
    fake_api.on("GET", "/sites/rennes", Reply(503, text="busy"), Reply(429, text="slow down", headers={"Retry-After": "7"}),
                Reply(no_answer="Connection refused"), Reply(200, {"uid": "rennes"}))
    sleeps = []
    client = make_client(kind, sleeps=sleeps)
    assert client.get("/sites/rennes", "read site")["uid"] == "rennes"
    assert len(fake_api.calls) == 4
    assert sleeps == [1.0, 7.0, 4.0]


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_retries_are_bounded_and_the_error_names_everything(fake_api, kind):
    fake_api.on("GET", "/sites/rennes/jobs/7", Reply(502, text="Bad gateway from OAR"))
    client = make_client(kind, retries=2)
    with pytest.raises(G5kApiError) as err:
        client.get("/sites/rennes/jobs/7", "read job 7")
    assert len(fake_api.calls) == 3
    message = str(err.value)
    for part in ("read job 7", "GET /sites/rennes/jobs/7", "HTTP 502", "Bad gateway from OAR"):
        assert part in message
    assert err.value.status == 502


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_post_creating_something_is_never_retried(fake_api, kind):
    fake_api.on("POST", "/sites/rennes/jobs", Reply(503, text="busy"))
    with pytest.raises(G5kApiError, match="HTTP 503"):
        make_client(kind).post("/sites/rennes/jobs", {"name": "x"}, "submit job")
    assert len(fake_api.calls) == 1


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_idempotent_post_is_retried(fake_api, kind):
    fake_api.on("POST", "/sites/rennes/vlans/4/nodes", Reply(500, text="oops"), Reply(200, {"a": {"status": "success"}}))
    data = make_client(kind).post("/sites/rennes/vlans/4/nodes", ["a"], "move", idempotent=True)
    assert data == {"a": {"status": "success"}}
    assert fake_api.calls[0].body == ["a"]
    assert {k.lower(): v for k, v in fake_api.calls[0].headers.items()}["content-type"] == "application/json"


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_tls_failure_is_not_retried_and_says_how_to_fix(fake_api, kind):
    fake_api.on("GET", "/sites", Reply(no_answer="<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed>"))
    with pytest.raises(G5kApiError) as err:
        make_client(kind).get("/sites", "list sites")
    assert len(fake_api.calls) == 1
    assert err.value.status == -1
    assert "TLS certificate verification failed" in str(err.value)
    assert "ca_path" in str(err.value)


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_anonymous_403_tells_how_to_give_credentials(fake_api, kind):
    fake_api.on("POST", "/sites/rennes/jobs", Reply(403, text="You are not authorized to access this resource"))
    with pytest.raises(G5kApiError) as err:
        make_client(kind, username=None).post("/sites/rennes/jobs", {}, "submit job")
    assert "You are not authorized" in str(err.value)
    assert "G5K_API_USERNAME" in str(err.value)


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_missing_ok_turns_404_into_none(fake_api, kind):
    fake_api.on("GET", "/sites/rennes/jobs/9", Reply(404, text="Couldn't find OAR::Job"))
    fake_api.on("DELETE", "/sites/rennes/jobs/9", Reply(404, text="Job id '9' cannot be found."))
    client = make_client(kind)
    assert client.get("/sites/rennes/jobs/9", "read job", missing_ok=True) is None
    assert client.delete("/sites/rennes/jobs/9", "delete job", missing_ok=True) is None
    with pytest.raises(G5kApiError, match="cannot be found"):
        client.delete("/sites/rennes/jobs/9", "delete job")


def test_list_items_follows_paging(fake_api):
    pages = {0: {"total": 3, "offset": 0, "items": [{"uid": 1}, {"uid": 2}]},
             2: {"total": 3, "offset": 2, "items": [{"uid": 3}]}}
    fake_api.on("GET", "/sites/rennes/jobs", handler=lambda call: Reply(200, pages[int(call.query["offset"])]))
    items = make_client("fetch_url").list_items("/sites/rennes/jobs", "list jobs", {"user": "jdoe"})
    assert [i["uid"] for i in items] == [1, 2, 3]
    assert [c.query["offset"] for c in fake_api.calls] == ["0", "2"]
    assert all(c.query["user"] == "jdoe" for c in fake_api.calls)


def test_fetch_url_transport_applies_resolved_tls_setting(fake_api):
    module = FakeModule()
    module.params["validate_certs"] = None
    fake_api.json("GET", "/sites", {"items": []})
    settings = ApiSettings(uri=BASE, validate_certs=False)
    G5kApiClient(settings, FetchUrlTransport(module)).get("/sites", "list")
    assert module.params["validate_certs"] is False


def test_path_of_quotes_each_part():
    assert path_of("sites", "rennes", "vlans", 4, "nodes") == "/sites/rennes/vlans/4/nodes"
    assert path_of("sites", "a/b") == "/sites/a%2Fb"


# ---- what first users hit (issue 9) -----------------------------------------------------------

def test_credentials_written_in_the_uri_are_taken_out_and_used(tmp_path):
    settings = resolve_api_settings({"api_uri": "http://jdoe:s3cr%40t@127.0.0.1:8000/stable"}, environ={},
                                    config_path=str(tmp_path / "none.yaml"))
    assert (settings.uri, settings.username, settings.password) == ("http://127.0.0.1:8000/stable", "jdoe", "s3cr@t")


def test_uri_credentials_that_contradict_api_username_are_refused(tmp_path):
    with pytest.raises(ApiSettingsError) as err:
        resolve_api_settings({"api_uri": "http://jdoe:pw@host/stable", "api_username": "asmith", "api_password": "x"},
                             environ={}, config_path=str(tmp_path / "none.yaml"))
    assert "holds the login jdoe but option api_username says asmith" in str(err.value)
    assert "pw" not in str(err.value).replace("api_password", "")


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_unreachable_uri_hint_never_shows_uri_credentials(fake_api, kind, tmp_path):
    fake_api.on("GET", "/sites", Reply(no_answer="Connection refused"))
    settings = resolve_api_settings({"api_uri": BASE.replace("https://", "https://jdoe:hunter2@"), "api_retries": 0},
                                    environ={}, config_path=str(tmp_path / "none.yaml"))
    transport = FetchUrlTransport(FakeModule()) if kind == "fetch_url" else OpenUrlTransport()
    client = G5kApiClient(settings, transport, sleep=lambda s: None)
    with pytest.raises(G5kApiError) as err:
        client.get("/sites", "list sites")
    assert "hunter2" not in str(err.value) and "is api_uri %s reachable?" % BASE in str(err.value)
    sent = {k.lower(): v for k, v in fake_api.calls[0].headers.items()}
    assert sent["authorization"] == "Basic " + base64.b64encode(b"jdoe:hunter2").decode()


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_200_answer_that_is_not_json_is_an_error_naming_the_api_root(fake_api, kind):
    fake_api.on("GET", "/sites/rennes", Reply(200, text="<html><body>Please log in</body></html>",
                                              headers={"Content-Type": "text/html"}))
    with pytest.raises(G5kApiError) as err:
        make_client(kind).get("/sites/rennes", "read site rennes")
    message = str(err.value)
    assert "read site rennes failed: GET /sites/rennes returned HTTP 200: the answer is not JSON (text/html)" in message
    assert "<html><body>Please log in</body></html>" in message and "ending in /stable" in message


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_https_to_a_plain_http_server_says_use_http_not_validate_certs(fake_api, kind):
    fake_api.on("GET", "/sites", Reply(no_answer="<urlopen error [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)>"))
    with pytest.raises(G5kApiError) as err:
        make_client(kind).get("/sites", "list sites")
    assert "answered in plain HTTP, not TLS: use an http:// api_uri" in str(err.value)
    assert "validate_certs=false" not in str(err.value)
    assert len(fake_api.calls) == 1


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_http_to_an_https_server_says_use_https(fake_api, kind):
    settings = ApiSettings(uri=BASE.replace("https://", "http://"), retries=0)
    fake_api.on("GET", "/sites", Reply(400, text="The plain HTTP request was sent to HTTPS port"))
    transport = FetchUrlTransport(FakeModule()) if kind == "fetch_url" else OpenUrlTransport()
    with pytest.raises(G5kApiError) as err:
        G5kApiClient(settings, transport).get("/sites", "list sites")
    assert "If the server speaks HTTPS, the api_uri must start with https://" in str(err.value)


def test_api_retry_delay_is_not_a_hidden_option(tmp_path):
    settings = resolve_api_settings({"api_retry_delay": 0.001}, environ={}, config_path=str(tmp_path / "none.yaml"))
    assert settings.retry_delay == 1.0
    assert "api_retry_delay" not in api_client.api_argument_spec()


def test_user_agent_version_is_the_collections_version():
    import pathlib

    import yaml
    galaxy = pathlib.Path(__file__).resolve().parents[4] / "galaxy.yml"
    assert api_client.COLLECTION_VERSION == yaml.safe_load(galaxy.read_text())["version"]
    assert api_client.USER_AGENT.startswith("g5k.testbed/%s " % api_client.COLLECTION_VERSION)
