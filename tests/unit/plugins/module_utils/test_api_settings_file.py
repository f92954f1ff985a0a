"""~/.python-grid5000.yaml is YAML, read with PyYAML: quoting, comments and '#' inside values as
python-grid5000 reads them; no PyYAML on the host is a clear error, not a wrong password."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils import api_settings
from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import (
    ApiSettingsError,
    read_config_file,
    resolve_api_settings,
)


def settings_from(tmp_path, text):
    conf = tmp_path / "python-grid5000.yaml"
    conf.write_text(text)
    conf.chmod(0o600)
    return resolve_api_settings({"api_config": str(conf)}, environ={})


@pytest.mark.parametrize("line", [
    'password: "s3cr#t"',
    "password: 's3cr#t'",
    'password: "s3cr#t"   # my Grid\'5000 password',
    "password: s3cr#t",  # a '#' not after a space is no comment in YAML
])
def test_a_hash_inside_the_password_is_kept(tmp_path, line):
    settings = settings_from(tmp_path, "uri: http://127.0.0.1:9/stable\nusername: jdoe\n%s\n" % line)
    assert settings.password == "s3cr#t"
    assert "s3cr#t" in settings.secrets


def test_yaml_values_keep_their_types(tmp_path):
    settings = settings_from(tmp_path, "username: jdoe\npassword: 'pw: x'\nverify_ssl: no\n")
    assert (settings.password, settings.validate_certs) == ("pw: x", False)


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "list"), ("just a line\n", "str"), ("42\n", "int")])
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path, text, kind):
    with pytest.raises(ApiSettingsError, match="must hold a mapping .uri, username, password, verify_ssl., not %s" % kind):
        settings_from(tmp_path, text)


def test_invalid_yaml_is_refused_with_the_path(tmp_path):
    with pytest.raises(ApiSettingsError, match=r"python-grid5000.yaml is not valid YAML"):
        settings_from(tmp_path, 'password: "unclosed\n')


def test_an_empty_file_sets_nothing(tmp_path):
    assert settings_from(tmp_path, "# nothing yet\n").anonymous


def test_without_pyyaml_a_config_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(api_settings, "HAS_YAML", False)
    conf = tmp_path / "python-grid5000.yaml"
    conf.write_text('username: jdoe\npassword: "s3cr#t"\n')
    with pytest.raises(ApiSettingsError, match="needs the Python library PyYAML.*install python3-yaml"):
        read_config_file(str(conf))
    # no file, no need for PyYAML: options and variables still work
    settings = resolve_api_settings({"api_username": "jdoe", "api_password": "pw"},
                                    environ={"G5K_API_CONFIG": str(tmp_path / "absent.yaml")})
    assert settings.username == "jdoe"
