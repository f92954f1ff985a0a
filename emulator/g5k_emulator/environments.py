"""The Kadeploy environments the emulated platform offers (what `kaenv3 -l` lists).

Every one of them is the same Debian 12 node image here; what differs is what a client can
observe: the name in `/etc/grid5000/release`, and whether the environment carries the users'
accounts and their NFS home (`-nfs`, `-big` and the standard environment do; `-min` and
`-base` give root only, as on the platform). Names from before the architecture left the
name (`debian12-x64-min`) are aliases. The API refuses other names at `POST /deployments`.
"""
from __future__ import annotations

import dataclasses

ARCH = "x86_64"
OWNER = "deploy"      # the account public environments belong to on the platform
VERSION = 2025092316  # Kadeploy versions are dates: yyyymmddhh


@dataclasses.dataclass(frozen=True)
class Environment:
    name: str
    description: str
    accounts: bool    # users log in with their own account, home on the site's NFS

    @property
    def alias(self) -> str:
        return self.name.replace("debian12-", "debian12-x64-")

    @property
    def release(self) -> str:
        """What `/etc/grid5000/release` holds on a node running this environment."""
        return f"{self.name}-{VERSION}"

    @property
    def uid(self) -> str:
        return f"{self.name}_{VERSION}"

    def document(self) -> dict:
        """The environment as the API lists it (Kadeploy's description, JSON)."""
        return {
            "uid": self.uid, "name": self.name, "alias": self.alias, "version": VERSION,
            "arch": ARCH, "user": OWNER, "visibility": "public", "destructive": False,
            "os": "linux", "description": self.description, "author": "support-staff@lists.grid5000.fr",
            "image": {"file": f"server:///grid5000/images/{self.name}-{VERSION}.tar.zst",
                      "kind": "tar", "compression": "zstd"},
            "postinstalls": [{"archive": "server:///grid5000/postinstalls/g5k-postinstall.tgz",
                              "compression": "gzip",
                              "script": f"g5k-postinstall --net debian{' --fstab nfs' if self.accounts else ''}"}],
            "boot": {"kernel": "/vmlinuz", "initrd": "/initrd.img", "kernel_params": ""},
            "filesystem": "ext4", "partition_type": 131, "multipart": False,
        }


CATALOGUE = (
    Environment("debian12-min", "Debian 12 (bookworm) minimal: root only, no NFS home", False),
    Environment("debian12-base", "Debian 12 (bookworm) base: root only, usual tools", False),
    Environment("debian12-nfs", "Debian 12 (bookworm) with the users' accounts and NFS home", True),
    Environment("debian12-big", "Debian 12 (bookworm) big: nfs plus development tools", True),
    Environment("debian12-std", "Debian 12 (bookworm) standard environment of the nodes", True),
)
STANDARD = "debian12-std"
KNOWN = tuple(name for env in CATALOGUE for name in (env.name, env.alias))


class UnknownEnvironment(ValueError):
    pass


def find(environment: str) -> Environment:
    """The environment a name (or alias, with an optional `@owner`) designates;
    UnknownEnvironment if none."""
    name = environment.split("@", 1)[0]
    for env in CATALOGUE:
        if name in (env.name, env.alias):
            return env
    raise UnknownEnvironment(f"Unknown environment '{environment}' (known here: "
                             f"{', '.join(sorted(KNOWN))})")


def check(environment: str) -> str:
    """The environment's name without its `@owner`; UnknownEnvironment if not registered."""
    find(environment)
    return environment.split("@", 1)[0]


def listing(name: str | None = None, arch: str | None = None, user: str | None = None) -> list[dict]:
    """What `GET /sites/{s}/environments` lists with those filters (all versions are the latest:
    there is one of each)."""
    return [env.document() for env in CATALOGUE
            if (not name or name in (env.name, env.alias))
            and (not arch or arch == ARCH) and (not user or user == OWNER)]
