"""The Kadeploy environments the emulated platform knows (the names users type).

Every one of them is the same Debian 12 node image here; the API refuses other names at
`POST /deployments` as Kadeploy does, and the fabric maps the known ones to its image.
"""
from __future__ import annotations

KNOWN = (
    "debian12-min", "debian12-base", "debian12-nfs", "debian12-big", "debian12-std",
    "debian12-x64-min", "debian12-x64-base", "debian12-x64-nfs", "debian12-x64-big",
    "debian12-x64-std",
)
STANDARD = "debian12-std"


class UnknownEnvironment(ValueError):
    pass


def check(environment: str) -> str:
    """The environment's name without its `@owner`; UnknownEnvironment if not registered."""
    name = environment.split("@", 1)[0]
    if name not in KNOWN:
        raise UnknownEnvironment(f"Unknown environment '{environment}' (known here: "
                                 f"{', '.join(sorted(KNOWN))})")
    return name
