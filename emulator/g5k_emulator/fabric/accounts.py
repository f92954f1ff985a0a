"""Users' accounts on the nodes, as on today's platform.

Every node of a site (and its `kavlan-<N>` gateways) knows the platform's users, with the
same uid everywhere, and mounts the site's home directories from the host (the NFS home):
a user's `~/.ssh/authorized_keys` there holds the public keys of the emulator's users file.
Who may log in is the job's business: root always, a user only on the nodes of their running
jobs without the `deploy` type (and on the gateway of a local VLAN their job holds);
`sudo-g5k` gives exactly those users root. `set_access` rewrites that list on a live node.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

from ..config import User
from .podman import Podman

FIRST_UID = 10001
GROUP = "g5k-users"
GID = 10000
SSHD_DROP_IN = "/etc/ssh/sshd_config.d/g5k-job-access.conf"
SUDOERS = "/etc/sudoers.d/g5k-job-access"
ROOT_USED = "/var/lib/g5k/sudo-g5k-used"
SUDO_G5K = f"""#!/bin/sh
# sudo-g5k: root on the nodes of your own jobs (the platform's command, emulated with sudo).
# The node is marked: the platform reinstalls it at the end of the job.
sudo -n sh -c 'mkdir -p {ROOT_USED.rsplit("/", 1)[0]} && touch {ROOT_USED}' || exit 1
if [ "$#" -eq 0 ]; then exec sudo -n -i; fi
exec sudo -n "$@"
"""


def uid_of(users: tuple[User, ...], login: str) -> int:
    return FIRST_UID + [u.login for u in users].index(login)


def homes(state_dir: Path, site: str) -> Path:
    return Path(state_dir, "homes", site)


def make_homes(state_dir: Path, site: str, users: tuple[User, ...]) -> Path:
    """The site's NFS home on the host: one directory per user with their authorized keys."""
    root = homes(state_dir, site)
    for user in users:
        ssh = root / user.login / ".ssh"
        ssh.mkdir(parents=True, exist_ok=True)
        keys = ssh / "authorized_keys"
        text = "".join(f"{key}\n" for key in user.ssh_keys)
        if not keys.exists() or keys.read_text() != text:
            keys.write_text(text)
        uid = uid_of(users, user.login)
        for path in (root / user.login, ssh, keys):
            os.chown(path, uid, GID)
        (root / user.login).chmod(0o755)
        ssh.chmod(0o700)
        keys.chmod(0o600)
    return root


def account_files(base: dict[str, str], users: tuple[User, ...]) -> dict[str, str]:
    """/etc/passwd, group and shadow of the image with the users added (key login only)."""
    passwd = base["passwd"] + "".join(
        f"{u.login}:x:{uid_of(users, u.login)}:{GID}:{u.login}:/home/{u.login}:/bin/bash\n" for u in users)
    group = base["group"] + f"{GROUP}:x:{GID}:\n"
    shadow = base["shadow"] + "".join(f"{u.login}:*:19000:0:99999:7:::\n" for u in users)
    return {"etc/passwd": passwd, "etc/group": group, "etc/shadow": shadow}


def access_files(logins: list[str]) -> dict[str, str]:
    """Who may log in (sshd) and use sudo-g5k (sudoers) on a node: root and `logins`."""
    allowed = " ".join(["root", *logins])
    sudoers = "".join(f"{login} ALL=(ALL:ALL) NOPASSWD: ALL\n" for login in logins)
    return {SSHD_DROP_IN.lstrip("/"): f"# users of the jobs running on this node\nAllowUsers {allowed}\n",
            SUDOERS.lstrip("/"): f"# sudo-g5k for the users of the jobs running on this node\n{sudoers}"}


def image_account_base(podman: Podman, image: str) -> dict[str, str]:
    """The image's own passwd, group and shadow files."""
    text = podman.output("run", "--rm", "--network", "none", image, "sh", "-c",
                         "cat /etc/passwd; echo '%%'; cat /etc/group; echo '%%'; cat /etc/shadow")
    passwd, group, shadow = text.split("%%\n")
    return {"passwd": passwd, "group": group, "shadow": shadow}


def root_used(podman: Podman, container: str) -> bool:
    """Whether a user became root on the node with sudo-g5k since it was installed."""
    return podman.run("exec", container, "test", "-e", ROOT_USED, check=False).returncode == 0


def set_access(podman: Podman, container: str, logins: list[str]) -> None:
    """Rewrite a running node's access list and make sshd read it."""
    script = "".join(f"printf %s {shlex.quote(text)} > /{path}\n" for path, text in access_files(logins).items())
    script += f"chmod 0440 {SUDOERS}\nsystemctl reload ssh.service\n"
    podman.run("exec", container, "sh", "-c", script)
