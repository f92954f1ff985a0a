"""Every role's defaults, meta/argument_specs.yml and README agree (see argument_specs_check.py).

The roles are discovered under roles/ at collection time, so a new role is checked as soon as its
directory exists. The checks are also run on broken example roles to prove they can fail.
"""

import pathlib
import textwrap

import pytest

from argument_specs_check import documentation_problems, readme_problems, role_dirs, sync_problems

ROLES_ROOT = pathlib.Path(__file__).resolve().parents[3] / "roles"
ROLES = role_dirs(ROLES_ROOT) if ROLES_ROOT.is_dir() else []


def test_the_collection_has_roles():
    assert ROLES, "no role found under %s" % ROLES_ROOT


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_defaults_and_argument_specs_have_the_same_variables(role):
    assert sync_problems(role) == []


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_every_option_has_a_description_and_a_type(role):
    assert documentation_problems(role) == []


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_readme_names_every_variable(role):
    assert readme_problems(role) == []


# The checks themselves, on example roles written to a temporary directory.

GOOD_SPECS = """\
argument_specs:
  main:
    short_description: Example
    options:
      demo_port:
        description: Port.
        type: int
        default: 80
      demo_hosts:
        description: Hosts.
        type: list
        elements: dict
        default: []
        options:
          name:
            description: Host name.
            type: str
"""


def make_role(tmp_path, defaults, specs=GOOD_SPECS, readme="demo_port demo_hosts", name="demo"):
    role = tmp_path / name
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults" / "main.yml").write_text(textwrap.dedent(defaults))
    if specs is not None:
        (role / "meta" / "argument_specs.yml").write_text(specs)
    if readme is not None:
        (role / "README.md").write_text(readme)
    return role


def test_checks_accept_a_consistent_role(tmp_path):
    role = make_role(tmp_path, "demo_port: 80\ndemo_hosts: []\n")
    assert sync_problems(role) == []
    assert documentation_problems(role) == []
    assert readme_problems(role) == []


def test_sync_check_reports_a_default_missing_from_the_specs(tmp_path):
    role = make_role(tmp_path, "demo_port: 80\ndemo_hosts: []\ndemo_extra: 1\n")
    assert sync_problems(role) == [
        "demo: demo_extra is in defaults/main.yml but not in meta/argument_specs.yml"]


def test_sync_check_reports_an_option_missing_from_the_defaults(tmp_path):
    role = make_role(tmp_path, "demo_port: 80\n")
    assert sync_problems(role) == [
        "demo: demo_hosts is in meta/argument_specs.yml but not in defaults/main.yml"]


def test_sync_check_reports_different_default_values(tmp_path):
    role = make_role(tmp_path, "demo_port: 8080\ndemo_hosts: []\n")
    assert sync_problems(role) == [
        "demo: demo_port defaults to 80 in meta/argument_specs.yml but 8080 in defaults/main.yml"]


def test_sync_check_reports_a_variable_without_the_role_prefix(tmp_path):
    specs = GOOD_SPECS.replace("      demo_port:", "      port:")
    role = make_role(tmp_path, "port: 80\ndemo_hosts: []\n", specs=specs)
    assert sync_problems(role) == ["demo: variable port must start with demo_"]


def test_sync_check_reports_a_missing_argument_specs_file(tmp_path):
    role = make_role(tmp_path, "demo_port: 80\n", specs=None)
    assert sync_problems(role) == ["demo: meta/argument_specs.yml has no argument_specs.main entry point"]


def test_documentation_check_reports_missing_description_and_type_at_any_depth(tmp_path):
    specs = GOOD_SPECS.replace("        description: Port.\n", "").replace(
        "            type: str\n", "")
    role = make_role(tmp_path, "demo_port: 80\ndemo_hosts: []\n", specs=specs)
    assert documentation_problems(role) == [
        "demo: option demo_port has no description",
        "demo: option demo_hosts.name has no type",
    ]


def test_documentation_check_reports_a_list_without_elements(tmp_path):
    specs = GOOD_SPECS.replace("        elements: dict\n", "")
    role = make_role(tmp_path, "demo_port: 80\ndemo_hosts: []\n", specs=specs)
    assert documentation_problems(role) == ["demo: option demo_hosts is a list without elements"]


def test_readme_check_reports_an_undocumented_variable(tmp_path):
    role = make_role(tmp_path, "demo_port: 80\ndemo_hosts: []\n", readme="Only demo_port and demo_hosts_extra here.")
    assert readme_problems(role) == ["demo: README.md does not mention demo_hosts"]


def test_an_internal_role_needs_no_main_entry_point_but_one_entry_point(tmp_path):
    specs = GOOD_SPECS.replace("  main:", "  packages:").replace("demo_", "_demo_")
    role = make_role(tmp_path, "_demo_port: 80\n_demo_hosts: []\n", specs=specs,
                     readme="_demo_port _demo_hosts", name="_demo")
    assert sync_problems(role) == []
    empty = make_role(tmp_path, "", specs="argument_specs: {}\n", name="_empty")
    assert sync_problems(empty) == ["_empty: meta/argument_specs.yml has no entry point"]
