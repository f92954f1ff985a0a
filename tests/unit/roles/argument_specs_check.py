"""Check that a role's defaults, argument specification and README agree.

Rules (team convention, after prometheus-community's lint_arguments_spec.sh):
- every key of defaults/main.yml is an option of an entry point of meta/argument_specs.yml
  (`main`, or another one a play reaches with `tasks_from`), every option of `main` is a key of
  defaults/main.yml, and an option of another entry point is a key there or `required`;
- an internal role (`_name`, reached only with `tasks_from`, as prometheus-community's `_common`)
  has no `main` entry point but at least one other;
- every public variable starts with `<role>_` (internal ones, `__<role>_`, live in vars/);
- every option, at any depth (suboptions of dicts and lists of dicts), has a non-empty
  `description` and a `type`; `elements` when the type is a list;
- an option's `default`, when given, equals the value in defaults/main.yml (in every entry point);
- README.md names every option of every entry point.

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


def internal(role):
    return role.name.startswith("_")


def entry_points(role):
    """Entry point name -> its options, or None when the file or the entry point `main` (of an
    internal role: any entry point) is missing."""
    specs_file = role / "meta" / "argument_specs.yml"
    if not specs_file.is_file():
        return None
    specs = (load_yaml(specs_file) or {}).get("argument_specs") or {}
    if not specs if internal(role) else specs.get("main") is None:
        return None
    return {name: (entry or {}).get("options") or {} for name, entry in specs.items()}


def all_options(points):
    """(name, spec) of every option of every entry point (a name may come once per entry point)."""
    return [(name, spec or {}) for options in points.values() for name, spec in options.items()]


NO_MAIN = "%s: meta/argument_specs.yml has no argument_specs.main entry point"
NO_ENTRY = "%s: meta/argument_specs.yml has no entry point"


def missing_entry(role):
    return (NO_ENTRY if internal(role) else NO_MAIN) % role.name


def defaults(role):
    defaults_file = role / "defaults" / "main.yml"
    if not defaults_file.is_file():
        return {}
    return load_yaml(defaults_file) or {}


def sync_problems(role):
    """Keys of defaults/main.yml and options of the entry points that do not match, and bad prefixes."""
    points = entry_points(role)
    if points is None:
        return [missing_entry(role)]
    values = defaults(role)
    options = all_options(points)
    names = {name for entry in points.values() for name in entry}
    optional = set(points.get("main", {})) | {name for name, spec in options if not spec.get("required")}
    problems = []
    for key in sorted(set(values) - names):
        problems.append("%s: %s is in defaults/main.yml but not in meta/argument_specs.yml" % (role.name, key))
    for key in sorted(optional - set(values)):
        problems.append("%s: %s is in meta/argument_specs.yml but not in defaults/main.yml" % (role.name, key))
    prefix = role.name + "_"
    for key in sorted(set(values) | names):
        if not key.startswith(prefix):
            problems.append("%s: variable %s must start with %s" % (role.name, key, prefix))
    for key, spec in options:
        if key in values and "default" in spec and spec["default"] != values[key]:
            problems.append("%s: %s defaults to %r in meta/argument_specs.yml but %r in defaults/main.yml"
                            % (role.name, key, spec["default"], values[key]))
    return list(dict.fromkeys(problems))


def documentation_problems(role):
    """Options (at any depth, of every entry point) without a description or a valid type."""
    points = entry_points(role)
    if points is None:
        return [missing_entry(role)]
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

    for options in points.values():
        walk(options, [])
    return list(dict.fromkeys(problems))


def readme_problems(role):
    """Options of the entry points that README.md does not name."""
    points = entry_points(role)
    if points is None:
        return [missing_entry(role)]
    options = {name for entry in points.values() for name in entry}
    readme = role / "README.md"
    if not readme.is_file():
        return ["%s: README.md is missing" % role.name]
    text = readme.read_text(encoding="utf-8")
    return ["%s: README.md does not mention %s" % (role.name, name) for name in sorted(options)
            if not re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(name), text)]
