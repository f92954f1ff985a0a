"""Modules take their connection settings from options, then env vars, then ~/.python-grid5000.yaml."""

import base64

from ansible_collections.g5k.testbed.plugins.modules import kavlan_info
from g5k_fake_api import BASE
from g5k_module_runner import fails, ok
from g5k_reference import script_site


def sent_login(call):
    header = {k.lower(): v for k, v in call.headers.items()}.get("authorization")
    return base64.b64decode(header.split()[1]).decode().split(":")[0] if header else None


def test_config_file_env_and_options_in_that_order(fake_api, tmp_path, monkeypatch):
    script_site(fake_api, "rennes", {"parasilo": 1})
    conf = tmp_path / "python-grid5000.yaml"
    conf.write_text("uri: %s\nusername: fileuser\npassword: filepw\n" % BASE)
    monkeypatch.setenv("G5K_API_CONFIG", str(conf))
    fake_api.json("GET", "/sites/rennes/vlans/4/nodes", {"total": 0, "items": []})
    ok(kavlan_info, {"site": "rennes", "vlans": ["4"]})
    assert sent_login(fake_api.calls[0]) == "fileuser"
    monkeypatch.setenv("G5K_API_USERNAME", "envuser")
    monkeypatch.setenv("G5K_API_PASSWORD", "envpw")
    fake_api.calls.clear()
    ok(kavlan_info, {"site": "rennes", "vlans": ["4"]})
    assert sent_login(fake_api.calls[0]) == "envuser"
    fake_api.calls.clear()
    ok(kavlan_info, {"site": "rennes", "vlans": ["4"], "api_username": "optuser", "api_password": "optpw"})
    assert sent_login(fake_api.calls[0]) == "optuser"


def test_unusable_config_file_stops_before_any_request(fake_api, tmp_path, monkeypatch):
    conf = tmp_path / "python-grid5000.yaml"
    conf.write_text("username: lonely\n")
    monkeypatch.setenv("G5K_API_CONFIG", str(conf))
    result = fails(kavlan_info, {"site": "rennes", "vlans": ["4"], "api_uri": BASE})
    assert "Grid'5000 API settings: a username (lonely) is set but no password" in result["msg"]
    assert fake_api.calls == []
