"""Which Debian mirror the node image is built from: read from the machine's apt sources."""
import pytest

from g5k_emulator import environments
from g5k_emulator.fabric import image
from g5k_emulator.fabric.host_commands import FabricError


def test_deb822_sources_give_the_main_archive_not_security(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n")
    assert image.debian_mirror(tmp_path) == "http://mirror.example/debian"


def test_one_line_sources_list_is_read(tmp_path):
    (tmp_path / "sources.list").write_text(
        "# deb http://old.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n")
    assert image.debian_mirror(tmp_path) == "http://mirror.example/debian"


def test_disabled_stanza_and_other_suites_are_skipped(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "a.sources").write_text(
        "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n"
        "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n")
    (tmp_path / "sources.list").write_text("deb http://old.example/debian bullseye main\n")
    with pytest.raises(FabricError, match="no Debian mirror for 'bookworm'"):
        image.debian_mirror(tmp_path)


def test_environment_names_users_type_map_to_the_node_image():
    assert image.image_for("debian12-min") == image.NODE_IMAGE
    assert image.image_for("debian12-nfs@jdoe") == image.NODE_IMAGE
    with pytest.raises(environments.UnknownEnvironment, match="Unknown environment 'centos7'"):
        image.image_for("centos7")
