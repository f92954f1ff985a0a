"""A scripted ``GET /sites/{site}/environments`` (what kaenv3 -l lists), filtering like the API."""

from g5k_fake_api import Reply


def environment(name, version=2026010100, arch="x86_64", user="deploy"):
    return {"uid": "%s_%s" % (name, version), "name": name, "version": version, "arch": arch, "alias": name,
            "description": "%s (test image)" % name, "os": "linux", "visibility": "public", "user": user,
            "destructive": False, "links": []}


DEFAULT_ENVIRONMENTS = [environment("debian12-min"), environment("debian12-min", 2025060100),
                        environment("debian12-nfs"), environment("debian12-min", arch="aarch64"),
                        environment("ubuntu2404-arm", arch="aarch64")]


def script_environments(fake_api, site, environments=None):
    environments = DEFAULT_ENVIRONMENTS if environments is None else environments

    def answer(call):
        items = [e for e in environments if all(call.query.get(k) in (None, e[k]) for k in ("name", "arch", "user"))]
        if call.query.get("latest_only", "yes") == "yes":
            latest = {}
            for env in items:
                key = (env["name"], env["arch"], env["user"])
                if key not in latest or env["version"] > latest[key]["version"]:
                    latest[key] = env
            items = list(latest.values())
        return Reply(200, {"total": len(items), "offset": 0, "items": items})
    fake_api.on("GET", "/sites/%s/environments" % site, handler=answer)
