"""Check that a role's defaults, argument specification and README agree.

Rules (team convention, after prometheus-community's lint_arguments_spec.sh):
- every key of defaults/main.yml is an option of meta/argument_specs.yml entry point `main`, and
  every option of `main` is a key of defaults/main.yml;
- every public variable starts with `<role>_` (internal ones, `__<role>_`, live in vars/);
- every option, at any depth (suboptions of dicts and lists of dicts), has a non-empty
  `description` and a `type`; `elements` when the type is a list;
- an option's `default`, when given, equals the value in defaults/main.yml;
- README.md names every option of `main`.

Each function returns a list of problems (empty when the role is fine), so the pytest tests can
show all of them at once, and so the checks themselves can be tested on broken example roles.
"""

import pathlib
import re

import yaml

VALID_TYPES = {"str", "list", "dict", "bool", "int", "float", "path", "raw", "jsonarg", "json", "bytes", "bits"}


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def role_dirs(roles_root):
    """Every role of the collection: each directory directly under roles/."""
    return sorted(path for path in pathlib.Path(roles_root).iterdir() if path.is_dir() and not path.name.startswith("."))


def main_options(role):
    """The options of entry point `main`, or None when the file or the entry point is missing."""
    specs_file = role / "meta" / "argument_specs.yml"
    if not specs_file.is_file():
        return None
    specs = (load_yaml(specs_file) or {}).get("argument_specs") or {}
    main = specs.get("main")
    if main is None:
        return None
    return main.get("options") or {}


def defaults(role):
    defaults_file = role / "defaults" / "main.yml"
    if not defaults_file.is_file():
        return {}
    return load_yaml(defaults_file) or {}


def sync_problems(role):
    """Keys of defaults/main.yml and options of `main` that do not match, and bad prefixes."""
    options = main_options(role)
    if options is None:
        return ["%s: meta/argument_specs.yml has no argument_specs.main entry point" % role.name]
    values = defaults(role)
    problems = []
    for key in sorted(set(values) - set(options)):
        problems.append("%s: %s is in defaults/main.yml but not in meta/argument_specs.yml" % (role.name, key))
    for key in sorted(set(options) - set(values)):
        problems.append("%s: %s is in meta/argument_specs.yml but not in defaults/main.yml" % (role.name, key))
    prefix = role.name + "_"
    for key in sorted(set(values) | set(options)):
        if not key.startswith(prefix):
            problems.append("%s: variable %s must start with %s" % (role.name, key, prefix))
    for key in sorted(set(values) & set(options)):
        spec = options[key] or {}
        if "default" in spec and spec["default"] != values[key]:
            problems.append("%s: %s defaults to %r in meta/argument_specs.yml but %r in defaults/main.yml"
                            % (role.name, key, spec["default"], values[key]))
    return problems


def documentation_problems(role):
    """Options (at any depth) without a description or a valid type."""
    options = main_options(role)
    if options is None:
        return ["%s: meta/argument_specs.yml has no argument_specs.main entry point" % role.name]
    problems = []

    def walk(options, path):
        for name, spec in options.items():
            where = "%s: option %s" % (role.name, ".".join(path + [name]))
            spec = spec or {}
            description = spec.get("description")
            if isinstance(description, list):
                description = " ".join(str(line) for line in description)
            if not description or not str(description).strip():
                problems.append(where + " has no description")
            option_type = spec.get("type")
            if option_type is None:
                problems.append(where + " has no type")
            elif option_type not in VALID_TYPES:
                problems.append(where + " has unknown type %r" % option_type)
            if option_type == "list" and "elements" not in spec:
                problems.append(where + " is a list without elements")
            if spec.get("options"):
                walk(spec["options"], path + [name])

    walk(options, [])
    return problems


def readme_problems(role):
    """Options of `main` that README.md does not name."""
    options = main_options(role)
    if options is None:
        return ["%s: meta/argument_specs.yml has no argument_specs.main entry point" % role.name]
    readme = role / "README.md"
    if not readme.is_file():
        return ["%s: README.md is missing" % role.name]
    text = readme.read_text(encoding="utf-8")
    return ["%s: README.md does not mention %s" % (role.name, name) for name in sorted(options)
            if not re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(name), text)]
