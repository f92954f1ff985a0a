"""kavlan_dhcp (honest changed semantics) and kavlan_info (read-only)."""

import pytest

from ansible_collections.g5k.testbed.plugins.modules import kavlan_dhcp, kavlan_info
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import running_job, script_jobs, script_site

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}


@pytest.fixture
def rennes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 2})
    job = running_job(42, "rennes", ["parasilo-1"], vlans=[4, "1"])
    script_jobs(fake_api, "rennes", [job])
    fake_api.json("GET", "/sites/rennes/jobs/42", job)
    fake_api.on("PUT", "/sites/rennes/vlans/4/dhcpd", Reply(204))
    members = {"4": ["parasilo-1.rennes.grid5000.fr"], "1": []}
    for vlan, names in members.items():
        fake_api.json("GET", "/sites/rennes/vlans/%s/nodes" % vlan,
                      {"total": len(names), "offset": 0, "items": [{"uid": n, "vlan": vlan} for n in names]})


def test_dhcp_check_mode_sends_nothing(fake_api, rennes):
    result = ok(kavlan_dhcp, dict(AUTH, site="rennes", vlan="4", state="stopped"), check_mode=True)
    assert result["changed"] is True and result["action"] == "stop" and result["state_known"] is False
    assert not fake_api.requests("PUT")


def test_dhcp_sends_the_action_every_run(fake_api, rennes):
    for state, action in (("stopped", "stop"), ("started", "start"), ("started", "start")):
        assert ok(kavlan_dhcp, dict(AUTH, site="rennes", vlan="4", state=state))["action"] == action
    assert [c.body for c in fake_api.requests("PUT", "/sites/rennes/vlans/4/dhcpd")] == [
        {"action": "stop"}, {"action": "start"}, {"action": "start"}]


@pytest.mark.parametrize("vlan, message", [("5", "VLAN 5 is not in an active job of jdoe at rennes"),
                                           ("DEFAULT", "cannot be used at rennes"),
                                           ("77", "VLAN 77 cannot be used at rennes")])
def test_dhcp_bad_vlan(fake_api, rennes, vlan, message):
    assert message in fails(kavlan_dhcp, dict(AUTH, site="rennes", vlan=vlan, state="stopped"))["msg"]
    assert not fake_api.requests("PUT")


def test_dhcp_state_is_required_so_nothing_is_stopped_by_surprise(fake_api, rennes):
    result = fails(kavlan_dhcp, dict(AUTH, site="rennes", vlan="4"))
    assert "missing required arguments: state" in result["msg"]
    assert not fake_api.calls


def test_dhcp_api_error(fake_api, rennes):
    fake_api.on("PUT", "/sites/rennes/vlans/4/dhcpd", Reply(415, text="Content-Type must be application/json"))
    msg = fails(kavlan_dhcp, dict(AUTH, site="rennes", vlan="4", state="stopped"))["msg"]
    assert "stop the DHCP server of VLAN 4 at rennes failed: PUT /sites/rennes/vlans/4/dhcpd returned HTTP 415" in msg


def test_info_lists_the_job_vlans_with_networks_and_members(fake_api, rennes):
    result = ok(kavlan_info, dict(AUTH, site="rennes", job_id=42), check_mode=True)
    assert result["changed"] is False
    first, second = result["vlans"]
    assert first == {"id": "1", "type": "kavlan-local", "site": "rennes", "network": "192.168.192.0/20",
                     "netmask": "255.255.240.0", "gateway": "192.168.207.254", "network_ipv6": None, "members": [],
                     "ssh_gateway": "kavlan-1.rennes.grid5000.fr",
                     "guest_blocks": ["192.168.196.0/24", "192.168.197.0/24", "192.168.198.0/24"]}
    assert (second["id"], second["type"], second["network"], second["netmask"]) == \
        ("4", "kavlan", "10.24.0.0/18", "255.255.192.0")
    assert second["guest_blocks"][0] == "10.24.26.0/23" and len(second["guest_blocks"]) == 18
    assert second["members"] == ["parasilo-1.rennes.grid5000.fr"] and second["ssh_gateway"] is None
    by_user = ok(kavlan_info, dict(AUTH, site="rennes"))
    assert [v["id"] for v in by_user["vlans"]] == ["1", "4"]


def test_info_unknown_vlan(fake_api, rennes):
    assert "VLAN 30 does not exist at rennes" in fails(kavlan_info, dict(AUTH, site="rennes", vlans=["30"]))["msg"]


def test_dhcp_put_is_retried_after_a_5xx(fake_api, rennes, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    fake_api.on("PUT", "/sites/rennes/vlans/4/dhcpd", Reply(503, text="busy"), Reply(204))
    assert ok(kavlan_dhcp, dict(AUTH, site="rennes", vlan="4", state="started"))["changed"] is True
    assert len(fake_api.requests("PUT")) == 2
