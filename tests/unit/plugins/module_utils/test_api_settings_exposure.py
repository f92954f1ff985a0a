"""A python-grid5000 config file holding a password and readable by group or others is warned about."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import resolve_api_settings


def settings_from(tmp_path, mode, text="username: jdoe\npassword: s3cret\n"):
    path = tmp_path / "g5k.yaml"
    path.write_text(text)
    path.chmod(mode)
    return path, resolve_api_settings({"api_config": str(path)}, environ={})


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_password_file_readable_by_group_or_others_is_warned_about_and_still_used(tmp_path, mode):
    path, settings = settings_from(tmp_path, mode)
    assert settings.password == "s3cret"
    assert settings.warnings == ["%s holds a password and is readable by group or others (mode %04o): "
                                 "run chmod 600 %s" % (path, mode, path)]
    assert "s3cret" not in settings.warnings[0]


@pytest.mark.parametrize("mode,text", [(0o600, "username: jdoe\npassword: s3cret\n"),
                                       (0o400, "username: jdoe\npassword: s3cret\n"),
                                       (0o644, "uri: https://api.example.org/stable\n")])
def test_a_private_file_or_one_without_password_is_not(tmp_path, mode, text):
    assert settings_from(tmp_path, mode, text)[1].warnings == []


def test_no_file_no_warning(tmp_path):
    assert resolve_api_settings({"api_config": str(tmp_path / "absent.yaml")}, environ={}).warnings == []
