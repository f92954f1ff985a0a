"""Reference API documents shaped like the real ones (see /work/shared/reference-data), built for tests."""

from g5k_fake_api import Reply

SITE_INDEX = {"rennes": (24, 156), "nancy": (16, 144)}
GLOBAL_VLAN = {"rennes": 16, "nancy": 14}


def site_doc(site):
    kavlan_base, subnet_base = SITE_INDEX[site]
    kavlans = {"default": {"network": "172.16.96.0/20", "gateway": "172.16.111.254"}}
    for vlan in (1, 2, 3):
        third = 192 + 16 * (vlan - 1)
        kavlans[str(vlan)] = {"network": "192.168.%d.0/20" % third, "gateway": "192.168.%d.254" % (third + 15)}
    for vlan in range(4, 10):
        third = 64 * (vlan - 4)
        second = kavlan_base + third // 256
        kavlans[str(vlan)] = {"network": "10.%d.%d.0/18" % (second, third % 256),
                              "gateway": "10.%d.%d.254" % (second, third % 256 + 63)}
    kavlans[str(GLOBAL_VLAN[site])] = {"network": "10.%d.192.0/18" % (kavlan_base + 3),
                                       "gateway": "10.%d.255.254" % (kavlan_base + 3)}
    return {"uid": site, "scheduler": "oar", "kavlans": kavlans,
            "g5ksubnet": {"network": "10.%d.0.0/14" % subnet_base, "gateway": "10.%d.255.254" % (subnet_base + 3)},
            "servers": {}}


def node_doc(site, cluster, number):
    uid = "%s-%d" % (cluster, number)
    kavlan_base = SITE_INDEX[site][0]
    eth0 = {"kavlan-%d" % v: "192.168.%d.%d" % (192 + 16 * (v - 1) + 7, number) for v in (1, 2, 3)}
    eth0.update({"kavlan-%d" % v: "10.%d.%d.%d" % (kavlan_base + (64 * (v - 4)) // 256, (64 * (v - 4)) % 256, number)
                 for v in range(4, 10)})
    for other, vlan in GLOBAL_VLAN.items():
        eth0["kavlan-%d" % vlan] = "10.%d.225.%d" % (SITE_INDEX[other][0] + 3, number)
    return {
        "uid": uid,
        "network_adapters": [
            {"device": "eth0", "name": "eno1", "mounted": True, "kavlan": True, "ip": "172.16.97.%d" % number,
             "network_address": "%s.%s.grid5000.fr" % (uid, site), "interface": "Ethernet"},
            {"device": "eth1", "name": "eno2", "mounted": False, "kavlan": True, "ip": "172.16.98.%d" % number,
             "network_address": "%s-eth1.%s.grid5000.fr" % (uid, site), "interface": "Ethernet"},
            {"device": "eth2", "name": "eno3", "mounted": False, "kavlan": False, "interface": "Ethernet"},
        ],
        "kavlan": {"eth0": eth0, "eth1": dict((k, v.rsplit(".", 1)[0] + ".%d" % (100 + number)) for k, v in eth0.items())},
    }


def vlan_list(site):
    items = [{"uid": "DEFAULT", "type": "NULL"}]
    items += [{"uid": str(v), "type": "kavlan-local"} for v in (1, 2, 3)]
    items += [{"uid": str(v), "type": "kavlan"} for v in range(4, 10)]
    for other, vlan in sorted(GLOBAL_VLAN.items()):
        items.append({"uid": str(vlan), "type": "kavlan-global" if other == site else "kavlan-global-remote"})
    return {"total": len(items), "offset": 0, "items": items}


def script_site(fake_api, site, clusters):
    """Script the Reference API reads of one site: site doc, VLAN list, clusters and nodes."""
    fake_api.json("GET", "/sites/%s" % site, site_doc(site))
    fake_api.on("GET", "/sites/%s/vlans" % site, handler=lambda call: Reply(200, vlan_list(site)))
    fake_api.json("GET", "/sites/%s/clusters" % site, {"total": len(clusters), "items": [{"uid": c} for c in clusters]})
    for cluster, count in clusters.items():
        nodes = [node_doc(site, cluster, n) for n in range(1, count + 1)]
        fake_api.json("GET", "/sites/%s/clusters/%s/nodes" % (site, cluster), {"total": count, "items": nodes})


class KavlanSite:
    """Stateful KaVLAN of one site behind the fake API: membership per interface name."""

    def __init__(self, fake_api, site, names, answers=None):
        self.site = site
        self.membership = dict((n, "DEFAULT") for n in names)
        self.answers = answers or {}  # name -> forced {"status", "message"} answer (membership untouched)
        fake_api.on("POST", "/sites/%s/vlans/nodes" % site, handler=self.read)
        for vlan in ["DEFAULT"] + [str(v) for v in range(1, 23)]:
            fake_api.on("POST", "/sites/%s/vlans/%s/nodes" % (site, vlan), handler=self.move)

    def read(self, call):
        items = [{"uid": n, "vlan": self.membership[n]} for n in call.body if n in self.membership]
        return Reply(200, {"total": len(items), "offset": 0, "items": items})

    def move(self, call):
        vlan = call.path.split("/")[4]
        answer = {}
        for name in call.body:
            if name in self.answers:
                answer[name] = self.answers[name]
            elif name not in self.membership:
                answer[name] = {"status": "failure", "message": "Unknown node"}
            elif self.membership[name] == vlan:
                answer[name] = {"status": "unchanged", "message": "Node already in vlan"}
            else:
                self.membership[name] = vlan
                answer[name] = {"status": "success", "message": "Successfully added to vlan"}
        return Reply(200, answer)


def script_jobs(fake_api, site, jobs):
    """``GET /sites/{site}/jobs`` answering with these job documents (filtered by name if asked)."""
    def answer(call):
        items = [j for j in jobs if "name" not in call.query or j.get("name") == call.query["name"]]
        items = [j for j in items if j.get("state") in call.query.get("state", j.get("state")).split(",")]
        return Reply(200, {"total": len(items), "offset": 0, "items": items})
    fake_api.on("GET", "/sites/%s/jobs" % site, handler=answer)


def running_job(uid, site, nodes, vlans=(), subnets=(), name="exp", user="jdoe", state="running"):
    return {"uid": uid, "name": name, "user": user, "state": state, "started_at": 1700000000, "walltime": 3600,
            "assigned_nodes": ["%s.%s.grid5000.fr" % (n, site) for n in nodes],
            "resources_by_type": {"vlans": list(vlans), "subnets": list(subnets)}}


class OarSite:
    """Stateful OAR jobs of one site: submit, list by name/user/state, read, delete."""

    def __init__(self, fake_api, site, user="jdoe", first_uid=100, start_state="running", nodes=None):
        self.site = site
        self.user = user
        self.jobs = {}
        self.next_uid = first_uid
        self.start_state = start_state
        self.nodes = nodes or ["parasilo-1", "parasilo-2"]
        self.submit_reply = None  # a Reply to answer submissions with instead of creating
        self.reads_until_killed = 0  # deletion is asynchronous: reads still showing the old state
        fake_api.on("POST", "/sites/%s/jobs" % site, handler=self.submit)
        fake_api.on("GET", "/sites/%s/jobs" % site, handler=self.list)

        self.fake_api = fake_api

    def add(self, job):
        self.jobs[job["uid"]] = job
        self._routes(job["uid"])

    def _routes(self, uid):
        path = "/sites/%s/jobs/%s" % (self.site, uid)
        self.fake_api.on("GET", path, handler=lambda call: self.read(uid))
        self.fake_api.on("DELETE", path, handler=lambda call: self.delete(uid))

    def submit(self, call):
        if self.submit_reply:
            return self.submit_reply
        uid = self.next_uid
        self.next_uid += 1
        job = running_job(uid, self.site, self.nodes, name=call.body.get("name"), user=self.user, state=self.start_state)
        job["submitted"] = call.body
        if "vlan" in call.body["resources"]:
            job["resources_by_type"]["vlans"] = ["4"]
        if "slash_" in call.body["resources"]:
            job["resources_by_type"]["subnets"] = ["10.156.4.0/22", "10.156.0.0/22"]
        self.add(job)
        return Reply(201, job, headers={"Location": "/stable/sites/%s/jobs/%s" % (self.site, uid)})

    def list(self, call):
        states = call.query.get("state", "").split(",")
        items = [j for j in self.jobs.values() if j["state"] in states
                 and call.query.get("user") in (None, j["user"])
                 and call.query.get("name") in (None, j.get("name"))]
        return Reply(200, {"total": len(items), "offset": 0, "items": items})

    def read(self, uid):
        job = self.jobs[uid]
        if job.get("killing") is not None:
            if job["killing"] == 0:
                job["state"] = "terminated"
                del job["killing"]
            else:
                job["killing"] -= 1
        return Reply(200, dict((k, v) for k, v in job.items() if k != "killing"))

    def delete(self, uid):
        if self.reads_until_killed:
            self.jobs[uid]["killing"] = self.reads_until_killed
        else:
            self.jobs[uid]["state"] = "terminated"
        return Reply(202, text="")


class KadeploySite:
    """Stateful Kadeploy of one site: a deployment ends at the next listing; nodes in ``ko`` fail
    that many times."""

    def __init__(self, fake_api, site, ko=None):
        self.site = site
        self.deployments = []
        self.ko = dict(ko or {})
        self.clock = 1700000100
        fake_api.on("POST", "/sites/%s/deployments" % site, handler=self.create)
        fake_api.on("GET", "/sites/%s/deployments" % site, handler=self.list)

    def create(self, call):
        self.clock += 10
        deployment = dict(call.body, uid="D-%d" % (len(self.deployments) + 1), status="processing",
                          created_at=self.clock, user_uid="jdoe", site_uid=self.site)
        self.deployments.append(deployment)
        return Reply(201, deployment)

    def list(self, call):
        items = [dict(d) for d in self.deployments]
        for deployment in self.deployments:
            if deployment["status"] == "processing":
                deployment["status"] = "terminated"
                result = {}
                for node in deployment["nodes"]:
                    failing = self.ko.get(node, 0) > 0
                    self.ko[node] = self.ko.get(node, 0) - 1
                    result[node] = {"state": "KO" if failing else "OK"}
                deployment["result"] = result
        return Reply(200, {"total": len(items), "offset": 0, "items": items})
