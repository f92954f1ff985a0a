"""OAR resource strings (`oarsub -l`) and property filters, parsed into a request.

Handled: groups joined by `+` (or `,`), each `[{filter}][/]<kind>=<count>` with kind `nodes`
(or `host`), `vlan`, `slash_<16..22>`; `walltime=H[:M[:S]]` after a comma; filters in the SQL
subset users write: `=`, `!=`, `<>`, `<`, `>`, `<=`, `>=`, `[not] in (...)`, `and`, `or`,
`not`, parentheses, values in single or double quotes. Anything else is refused with a message
that says what is not understood (OAR would refuse more tersely).
"""
from __future__ import annotations

import dataclasses
import re

DEFAULT_WALLTIME = 3600
NODE_KEYWORDS = ("nodes", "host")
SUBNET_PREFIXES = range(16, 23)


class ResourceError(ValueError):
    """The resource string or property filter cannot be understood."""


@dataclasses.dataclass(frozen=True)
class Group:
    kind: str                   # "nodes" | "vlan" | "subnet"
    count: int | str            # a number, or "ALL" / "BEST" for nodes
    filter: tuple | None        # parsed filter expression (see parse_filter)
    prefix: int | None = None   # subnet size (/16 ... /22)
    text: str = ""


@dataclasses.dataclass(frozen=True)
class ResourceRequest:
    groups: tuple[Group, ...]
    walltime: int | None        # seconds, None when the string gives none


# Filters -------------------------------------------------------------------------
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'[^']*'|"[^"]*")
  | (?P<number>-?\d+(?:\.\d+)?)(?![\w.-])
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][\w.-]*)
)""", re.X)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ResourceError(f"Bad resource request: cannot parse property filter "
                                f"near '{text[pos:pos + 20]}' in \"{text}\"")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            value = value[1:-1]
        elif kind == "word" and value.lower() in ("and", "or", "not", "in"):
            kind, value = "keyword", value.lower()
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _FilterParser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def error(self, what: str) -> ResourceError:
        return ResourceError(f"Bad resource request: {what} in property filter \"{self.text}\"")

    def peek(self, kind=None, value=None):
        if self.pos >= len(self.tokens):
            return None
        token = self.tokens[self.pos]
        if (kind and token[0] != kind) or (value and token[1] != value):
            return None
        return token

    def take(self, kind=None, value=None):
        token = self.peek(kind, value)
        if token is None:
            found = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "end of filter"
            raise self.error(f"expected {value or kind}, found '{found}'")
        self.pos += 1
        return token

    def parse(self):
        expr = self.parse_or()
        if self.pos != len(self.tokens):
            raise self.error(f"unexpected '{self.tokens[self.pos][1]}'")
        return expr

    def parse_or(self):
        left = self.parse_and()
        while self.peek("keyword", "or"):
            self.pos += 1
            left = ("or", left, self.parse_and())
        return left

    def parse_and(self):
        left = self.parse_not()
        while self.peek("keyword", "and"):
            self.pos += 1
            left = ("and", left, self.parse_not())
        return left

    def parse_not(self):
        if self.peek("keyword", "not"):
            self.pos += 1
            return ("not", self.parse_not())
        if self.peek("punct", "("):
            self.pos += 1
            expr = self.parse_or()
            self.take("punct", ")")
            return expr
        return self.parse_comparison()

    def value(self):
        token = self.peek()
        if token is None or token[0] not in ("string", "number", "word"):
            raise self.error("expected a value")
        self.pos += 1
        return token[1]

    def parse_comparison(self):
        ident = self.take("word")[1]
        negated = bool(self.peek("keyword", "not"))
        if negated:
            self.pos += 1
        if self.peek("keyword", "in"):
            self.pos += 1
            self.take("punct", "(")
            values = [self.value()]
            while self.peek("punct", ","):
                self.pos += 1
                values.append(self.value())
            self.take("punct", ")")
            return ("in", ident, tuple(values), negated)
        if negated:
            raise self.error("'not' must be followed by 'in'")
        op = self.take("op")[1]
        return ("cmp", ident, "!=" if op == "<>" else op, self.value())


def parse_filter(text: str) -> tuple:
    """Parse a property filter (`cluster='x' and host in ('a','b')`) into an expression."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
        text = text[1:-1]  # {"cluster='x'"}: the shell quoting users copy from the wiki
    if not text:
        raise ResourceError("Bad resource request: empty property filter '{}'")
    return _FilterParser(text).parse()


def _compare(left, op: str, right: str) -> bool:
    try:
        a, b = float(left), float(right)
    except (TypeError, ValueError):
        a, b = str(left), str(right)
    return {"=": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def matches(expr: tuple | None, props: dict) -> bool:
    """Evaluate a filter against a resource's properties; unknown properties are an error."""
    if expr is None:
        return True
    head = expr[0]
    if head == "and":
        return matches(expr[1], props) and matches(expr[2], props)
    if head == "or":
        return matches(expr[1], props) or matches(expr[2], props)
    if head == "not":
        return not matches(expr[1], props)
    ident = expr[1]
    if ident not in props:
        raise ResourceError(f"Bad resource request: unknown resource property '{ident}' "
                            f"(known here: {', '.join(sorted(props))})")
    value = props[ident]
    if head == "in":
        found = any(_compare(value, "=", v) for v in expr[2])
        return found != expr[3]
    return _compare(value, expr[2], expr[3])


def filter_mentions(expr: tuple | None, ident: str) -> list[tuple]:
    """Every comparison in `expr` about property `ident` (used to find the requested type)."""
    if expr is None:
        return []
    if expr[0] in ("and", "or"):
        return filter_mentions(expr[1], ident) + filter_mentions(expr[2], ident)
    if expr[0] == "not":
        return filter_mentions(expr[1], ident)
    return [expr] if expr[1] == ident else []


# Resource strings ------------------------------------------------------------------
# Beyond this a walltime is unreadable (OAR stores seconds in an integer column; SQLite overflows
# past 2**63): the API answers 400, never 500.
MAX_WALLTIME = 100 * 365 * 24 * 3600


def parse_walltime(text: str) -> int:
    """OAR walltime: `H`, `H:M` or `H:M:S` -> seconds."""
    parts = str(text).strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ResourceError(f"Bad walltime '{text}': expected hours[:minutes[:seconds]]")
    hours, minutes, seconds = (int(p) for p in parts + ["0"] * (3 - len(parts)))
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ResourceError(f"Bad walltime '{text}': it must be longer than 0 seconds")
    if total > MAX_WALLTIME:
        raise ResourceError(f"Bad walltime '{text}': it must be at most {MAX_WALLTIME // 3600} hours")
    return total


def _split_top_level(text: str, separators: str) -> list[str]:
    parts, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char in separators and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote or depth:
        raise ResourceError(f"Bad resource request: unbalanced quotes or braces in \"{text}\"")
    parts.append("".join(current))
    return parts


def _closing_brace(text: str) -> int:
    quote = None
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "}":
            return i
    raise ResourceError(f"Bad resource request: no closing brace in \"{text}\"")


def _parse_group(text: str) -> Group:
    raw = text.strip()
    expr = None
    rest = raw
    if rest.startswith("{"):
        end = _closing_brace(rest)
        expr = parse_filter(rest[1:end])
        rest = rest[end + 1:]
    rest = rest.lstrip("/").strip()
    levels = [level for level in rest.split("/") if level.strip()]
    if len(levels) != 1:
        raise ResourceError(f"Bad resource request: \"{raw}\": the emulator understands one "
                            "level per group (nodes=N, vlan=N, slash_22=N), not a hierarchy")
    key, sep, count_text = levels[0].partition("=")
    key, count_text = key.strip().lower(), count_text.strip()
    if not sep or not count_text:
        raise ResourceError(f"Bad resource request: \"{raw}\": expected <resource>=<count>")
    if key in NODE_KEYWORDS:
        if count_text.upper() in ("ALL", "BEST"):
            return Group("nodes", count_text.upper(), expr, text=raw)
        return Group("nodes", _count(count_text, raw), expr, text=raw)
    if key == "vlan":
        return Group("vlan", _count(count_text, raw), expr, text=raw)
    match = re.fullmatch(r"slash_(\d+)", key)
    if match and int(match.group(1)) in SUBNET_PREFIXES:
        return Group("subnet", _count(count_text, raw), expr, prefix=int(match.group(1)), text=raw)
    raise ResourceError(f"Bad resource request: \"{raw}\": unknown resource '{key}' "
                        "(known: nodes, host, vlan, slash_16 ... slash_22)")


def _count(text: str, raw: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ResourceError(f"Bad resource request: \"{raw}\": '{text}' is not a positive count")
    return int(text)


def parse(resources: str) -> ResourceRequest:
    """Parse an OAR resource string, e.g. `{cluster='x'}/nodes=3+{type='kavlan'}/vlan=1,walltime=2:00`."""
    if not isinstance(resources, str) or not resources.strip():
        raise ResourceError("Bad resource request: empty resource string")
    groups, walltime = [], None
    for part in _split_top_level(resources, ","):
        part = part.strip()
        if not part:
            raise ResourceError(f"Bad resource request: empty element in \"{resources}\"")
        if part.lower().startswith("walltime="):
            if walltime is not None:
                raise ResourceError(f"Bad resource request: walltime given twice in \"{resources}\"")
            walltime = parse_walltime(part.split("=", 1)[1])
            continue
        for group_text in _split_top_level(part, "+"):
            if not group_text.strip():
                raise ResourceError(f"Bad resource request: empty group in \"{resources}\"")
            groups.append(_parse_group(group_text))
    if not groups:
        groups.append(Group("nodes", 1, None, text="nodes=1"))
    return ResourceRequest(tuple(groups), walltime)
