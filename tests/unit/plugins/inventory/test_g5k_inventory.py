"""The g5k inventory plugin against a scripted API: hosts, groups, addresses, jump hosts, job
selection, cache hit/miss/refresh, guests, errors and bad files."""

import os
import time

import pytest

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.loader import inventory_loader

from conftest import script_gateway, script_sites_list
from g5k_fake_api import BASE, Reply
from g5k_reference import KavlanSite, OarSite, running_job, script_site


def fqdn(short, site="rennes"):
    return "%s.%s.grid5000.fr" % (short, site)


def interface_names(site, count):
    return [fqdn("parasilo-%d" % i, site) for i in range(1, count + 1)] + \
        [fqdn("parasilo-%d-eth1" % i, site) for i in range(1, count + 1)]


@pytest.fixture
def rennes(fake_api):
    """rennes: 4 parasilo nodes, job 1 'exp' (parasilo-1..3, VLAN 4, one /22), KaVLAN state."""
    script_site(fake_api, "rennes", {"parasilo": 4})
    oar = OarSite(fake_api, "rennes")
    oar.add(running_job(1, "rennes", ["parasilo-3", "parasilo-1", "parasilo-2"], vlans=["4"],
                        subnets=["10.156.4.0/22"]))
    kavlan = KavlanSite(fake_api, "rennes", interface_names("rennes", 4))
    kavlan.oar = oar
    return kavlan


def test_hosts_groups_and_current_vlan_addresses(fake_api, rennes, run_inventory):
    rennes.membership[fqdn("parasilo-1")] = "4"
    inv = run_inventory({"sites": ["rennes"]})
    assert inv.hosts == [fqdn("parasilo-1"), fqdn("parasilo-2"), fqdn("parasilo-3")]
    assert inv.group("site_rennes") == inv.hosts
    assert inv.group("cluster_parasilo") == inv.hosts
    assert inv.group("job_exp") == inv.hosts
    assert inv.group("g5k_nodes") == inv.hosts
    assert inv.group("vlan_4") == [fqdn("parasilo-1")]
    assert inv.group("vlan_default") == [fqdn("parasilo-2"), fqdn("parasilo-3")]
    one = inv.vars(fqdn("parasilo-1"))
    assert one["ansible_host"] == "parasilo-1-kavlan-4.rennes.grid5000.fr"
    assert (one["g5k_site"], one["g5k_cluster"], one["g5k_job_uid"], one["g5k_vlan"]) == ("rennes", "parasilo", 1, "4")
    assert one["g5k_vlan_type"] == "kavlan"
    assert one["g5k_ip"] == "10.24.0.1"
    assert "ansible_ssh_common_args" not in one  # routed VLAN: no jump
    eth1 = [i for i in one["g5k_interfaces"] if i["device"] == "eth1"][0]
    assert (eth1["vlan"], eth1["ip"]) == ("DEFAULT", "172.16.98.1")
    assert inv.vars(fqdn("parasilo-2"))["ansible_host"] == fqdn("parasilo-2")
    # one request per kind, whatever the node count: jobs, site, cluster, membership, VLAN kinds
    assert len(fake_api.requests("POST", "/sites/rennes/vlans/nodes")) == 1
    assert len(fake_api.requests("GET", "/sites/rennes/clusters/parasilo/nodes")) == 1


def test_ip_addresses_and_short_names(fake_api, rennes, run_inventory):
    rennes.membership[fqdn("parasilo-2")] = "4"
    inv = run_inventory({"sites": ["rennes"], "address": "ip", "hostnames": "short"})
    assert inv.hosts == ["parasilo-1", "parasilo-2", "parasilo-3"]
    assert inv.vars("parasilo-1")["ansible_host"] == "172.16.97.1"
    assert inv.vars("parasilo-2")["ansible_host"] == "10.24.0.2"
    assert inv.vars("parasilo-2")["g5k_fqdn"] == fqdn("parasilo-2")


def test_local_vlan_gets_a_jump_host(fake_api, rennes, run_inventory):
    rennes.membership[fqdn("parasilo-1")] = "1"
    script_gateway(fake_api, "rennes", "1", "172.16.111.101")  # by name, the DNS name is used
    inv = run_inventory({"sites": ["rennes"], "proxy_jump": "jdoe@access.grid5000.fr",
                         "local_vlan_gateway_user": "root"})
    one = inv.vars(fqdn("parasilo-1"))
    assert one["ansible_host"] == "parasilo-1-kavlan-1.rennes.grid5000.fr"
    assert one["g5k_vlan_type"] == "kavlan-local"
    assert one["g5k_jump_host"] == "kavlan-1.rennes.grid5000.fr"
    assert one["ansible_ssh_common_args"] == "-o ProxyJump=jdoe@access.grid5000.fr,root@kavlan-1.rennes.grid5000.fr"
    # outside the local VLAN only the outer jump applies
    assert inv.vars(fqdn("parasilo-2"))["ansible_ssh_common_args"] == "-o ProxyJump=jdoe@access.grid5000.fr"
    assert "g5k_jump_host" not in inv.vars(fqdn("parasilo-2"))


def test_local_vlan_jump_host_by_ip_comes_from_the_gateway_server(fake_api, rennes, run_inventory):
    rennes.membership[fqdn("parasilo-1")] = "1"
    script_gateway(fake_api, "rennes", "1", "172.16.111.101")
    inv = run_inventory({"sites": ["rennes"], "address": "ip"})
    one = inv.vars(fqdn("parasilo-1"))
    assert one["ansible_host"] == "192.168.199.1"
    assert one["ansible_ssh_common_args"] == "-o ProxyJump=172.16.111.101"


def test_global_vlan_of_another_site_is_named_in_the_node_site(fake_api, rennes, run_inventory):
    script_site(fake_api, "nancy", {"gros": 2})
    OarSite(fake_api, "nancy").add(running_job(7, "nancy", ["gros-2"], vlans=["16"], name="global"))
    nancy = KavlanSite(fake_api, "nancy", [fqdn("gros-%d" % i, "nancy") for i in (1, 2)])
    nancy.membership[fqdn("gros-2", "nancy")] = "16"  # rennes's global VLAN
    inv = run_inventory({"sites": ["nancy"]})
    gros = inv.vars(fqdn("gros-2", "nancy"))
    assert gros["ansible_host"] == "gros-2-kavlan-16.nancy.grid5000.fr"
    assert (gros["g5k_vlan"], gros["g5k_vlan_type"]) == ("16", "kavlan-global-remote")
    assert gros["g5k_ip"] == "10.27.225.2"
    assert "ansible_ssh_common_args" not in gros
    assert inv.group("vlan_16") == [fqdn("gros-2", "nancy")]


def test_jobs_by_uid_name_and_state(fake_api, rennes, run_inventory):
    rennes.oar.add(running_job(2, "rennes", ["parasilo-4"], name="other"))
    rennes.oar.add(running_job(3, "rennes", ["parasilo-4"], name="later", state="waiting"))
    assert run_inventory({"sites": ["rennes"], "job_names": ["other"]}).hosts == [fqdn("parasilo-4")]
    assert run_inventory({"jobs": ["rennes:1"]}).hosts == [fqdn("parasilo-%d" % i) for i in (1, 2, 3)]
    assert run_inventory({"sites": ["rennes"], "jobs": [2]}).group("job_other") == [fqdn("parasilo-4")]  # an int is fine
    everything = run_inventory({"sites": ["rennes"]})
    assert everything.hosts == [fqdn("parasilo-%d" % i) for i in (1, 2, 3, 4)]  # the waiting job is left out
    assert everything.group("job_later") is None
    listing = fake_api.requests("GET", "/sites/rennes/jobs")[-1]
    assert listing.query["user"] == "jdoe" and listing.query["resources"] == "yes"


def test_listing_jobs_needs_a_user(fake_api, rennes, run_inventory, monkeypatch):
    monkeypatch.delenv("USER", raising=False)
    with pytest.raises(AnsibleParserError, match="no user to find jobs of"):
        run_inventory({"sites": ["rennes"], "api_uri": BASE}, auth=False)
    assert not fake_api.requests("GET", "/sites/rennes/jobs")
    monkeypatch.setenv("USER", "asmith")  # anonymous on a frontend: jobs of the login user
    run_inventory({"sites": ["rennes"], "api_uri": BASE}, auth=False)
    assert fake_api.requests("GET", "/sites/rennes/jobs")[-1].query["user"] == "asmith"


def test_same_job_selected_twice_is_one_set_of_hosts(fake_api, rennes, run_inventory):
    inv = run_inventory({"sites": ["rennes"], "jobs": ["1"], "job_names": ["exp"]})
    assert inv.hosts == [fqdn("parasilo-%d" % i) for i in (1, 2, 3)]


def test_node_in_two_jobs_is_warned_not_fatal(fake_api, rennes, run_inventory, capsys):
    rennes.oar.add(running_job(2, "rennes", ["parasilo-3", "parasilo-4"], name="second"))
    inv = run_inventory({"sites": ["rennes"]})
    assert inv.hosts == [fqdn("parasilo-%d" % i) for i in (1, 2, 3, 4)]
    assert inv.vars(fqdn("parasilo-3"))["g5k_job_uid"] == 1  # the first job keeps it
    assert "host parasilo-3.rennes.grid5000.fr is in job 1 and in job 2" in capsys.readouterr().err


def cache_config(tmp_path, **extra):
    config = {"sites": ["rennes"], "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "cache"), "cache_timeout": 3600}
    config.update(extra)
    return config


def test_cache_miss_then_hit_sends_no_request(fake_api, rennes, run_inventory, tmp_path):
    first = run_inventory(cache_config(tmp_path))
    sent = len(fake_api.calls)
    assert sent > 0 and os.listdir(str(tmp_path / "cache"))
    rennes.membership[fqdn("parasilo-1")] = "4"  # the API changes; the cache does not know
    second = run_inventory(cache_config(tmp_path))
    assert len(fake_api.calls) == sent
    assert second.vars(fqdn("parasilo-1"))["ansible_host"] == first.vars(fqdn("parasilo-1"))["ansible_host"] \
        == fqdn("parasilo-1")


def test_refresh_reads_the_api_and_rewrites_the_cache(fake_api, rennes, run_inventory, tmp_path):
    run_inventory(cache_config(tmp_path))
    rennes.membership[fqdn("parasilo-1")] = "4"
    refreshed = run_inventory(cache_config(tmp_path), cache=False)  # --flush-cache / refresh_inventory
    assert refreshed.vars(fqdn("parasilo-1"))["ansible_host"] == "parasilo-1-kavlan-4.rennes.grid5000.fr"
    sent = len(fake_api.calls)
    again = run_inventory(cache_config(tmp_path))
    assert len(fake_api.calls) == sent  # the refreshed data was cached
    assert again.vars(fqdn("parasilo-1"))["g5k_vlan"] == "4"


def test_expired_cache_is_a_miss(fake_api, rennes, run_inventory, tmp_path):
    run_inventory(cache_config(tmp_path, cache_timeout=60))
    cache_dir = str(tmp_path / "cache")
    past = time.time() - 3600
    for name in os.listdir(cache_dir):
        os.utime(os.path.join(cache_dir, name), (past, past))
    sent = len(fake_api.calls)
    run_inventory(cache_config(tmp_path, cache_timeout=60))
    assert len(fake_api.calls) > sent


def test_cache_of_another_selection_is_a_miss(fake_api, rennes, run_inventory, tmp_path):
    run_inventory(cache_config(tmp_path))
    sent = len(fake_api.calls)
    run_inventory(cache_config(tmp_path, job_names=["exp"]))
    assert len(fake_api.calls) > sent


def test_forbidden_site_is_a_clear_error_or_a_warning(fake_api, rennes, run_inventory, capsys):
    script_site(fake_api, "nancy", {"gros": 2})
    fake_api.json("GET", "/sites/nancy/jobs", "You are not authorized to access this resource", status=403)
    fake_api.on("GET", "/sites/nancy/jobs", Reply(403, text="You are not authorized to access this resource"))
    with pytest.raises(AnsibleError, match=r"site nancy refused access \(HTTP 403\).*strict_permissions: false"):
        run_inventory({"sites": ["rennes", "nancy"]})
    inv = run_inventory({"sites": ["rennes", "nancy"], "strict_permissions": False})
    assert inv.hosts == [fqdn("parasilo-%d" % i) for i in (1, 2, 3)]
    assert "site nancy left out" in capsys.readouterr().err


FORBIDDEN = Reply(403, text="You are not authorized to access this resource")


def nancy_with_a_job(fake_api):
    script_site(fake_api, "nancy", {"gros": 2})
    OarSite(fake_api, "nancy", first_uid=7).add(running_job(7, "nancy", ["gros-1"]))
    KavlanSite(fake_api, "nancy", [fqdn("gros-1", "nancy"), fqdn("gros-1-eth1", "nancy")])


@pytest.mark.parametrize("method, path", [
    ("GET", "/sites/nancy"),
    ("GET", "/sites/nancy/jobs"),
    ("GET", "/sites/nancy/clusters/gros/nodes"),
    ("POST", "/sites/nancy/vlans/nodes"),
])
def test_a_403_on_any_request_about_a_site_follows_strict_permissions(fake_api, rennes, run_inventory, capsys,
                                                                      method, path):
    nancy_with_a_job(fake_api)
    assert fqdn("gros-1", "nancy") in run_inventory({"sites": ["rennes", "nancy"]}).hosts
    fake_api.on(method, path, FORBIDDEN)
    # strict (the default): the run stops, naming the site and the way out
    with pytest.raises(AnsibleError, match=r"site nancy refused access \(HTTP 403\).*%s.*strict_permissions: false"
                       % path):
        run_inventory({"sites": ["rennes", "nancy"]})
    # not strict: that whole site is left out with a warning, the others are read in full
    fake_api.calls.clear()
    inv = run_inventory({"sites": ["rennes", "nancy"], "strict_permissions": False})
    assert inv.hosts == [fqdn("parasilo-%d" % i) for i in (1, 2, 3)]
    assert "site nancy left out: " in capsys.readouterr().err
    nancy_calls = [(c.method, c.path) for c in fake_api.calls if c.path.startswith("/sites/nancy")]
    assert nancy_calls[-1] == (method, path), "nothing more is asked about a refused site"
    assert len([c for c in nancy_calls if c == (method, path)]) == 1, "a 403 is not retried"


def test_a_job_given_without_site_is_looked_for_on_the_sites_that_answer(fake_api, rennes, run_inventory, capsys):
    nancy_with_a_job(fake_api)
    fake_api.on("GET", "/sites/nancy/jobs/1", FORBIDDEN)
    with pytest.raises(AnsibleError, match="site nancy refused access"):
        run_inventory({"sites": ["rennes", "nancy"], "jobs": ["1"]})
    inv = run_inventory({"sites": ["rennes", "nancy"], "jobs": ["1"], "strict_permissions": False})
    assert inv.hosts == [fqdn("parasilo-%d" % i) for i in (1, 2, 3)]
    assert "site nancy left out" in capsys.readouterr().err
    fake_api.on("GET", "/sites/nancy/jobs/7", FORBIDDEN)
    fake_api.on("GET", "/sites/rennes/jobs/7", Reply(404, text="not found"))
    with pytest.raises(AnsibleParserError, match="job 7 was not found at rennes"):
        run_inventory({"sites": ["rennes", "nancy"], "jobs": ["7"], "strict_permissions": False})


def test_a_job_id_at_two_sites_must_be_given_with_its_site(fake_api, rennes, run_inventory):
    script_site(fake_api, "nancy", {"gros": 2})
    OarSite(fake_api, "nancy").add(running_job(1, "nancy", ["gros-1"]))
    KavlanSite(fake_api, "nancy", [fqdn("gros-1", "nancy")])
    with pytest.raises(AnsibleParserError, match="job id 1 exists at nancy and rennes: write it <site>:1"):
        run_inventory({"sites": ["rennes", "nancy"], "jobs": ["1"]})
    assert run_inventory({"jobs": ["nancy:1"]}).hosts == [fqdn("gros-1", "nancy")]


def test_all_oar_sites_by_default_and_slurm_left_out(fake_api, rennes, run_inventory):
    script_sites_list(fake_api, [("bordeaux", "slurm"), ("rennes", "oar")])
    assert run_inventory({}).group("site_rennes") == [fqdn("parasilo-%d" % i) for i in (1, 2, 3)]
    assert not fake_api.requests("GET", "/sites/bordeaux/jobs")


def test_slurm_site_named_explicitly_is_refused(fake_api, run_inventory):
    fake_api.json("GET", "/sites/bordeaux", {"uid": "bordeaux", "scheduler": "slurm"})
    with pytest.raises(AnsibleParserError, match="site bordeaux is scheduled by slurm, not OAR"):
        run_inventory({"sites": ["bordeaux"]})


def test_unknown_job_and_malformed_job_reference(fake_api, rennes, run_inventory):
    fake_api.on("GET", "/sites/rennes/jobs/77", Reply(404, text="Couldn't find OAR::Job with 'job_id'=77"))
    with pytest.raises(AnsibleParserError, match="job 77 was not found at rennes"):
        run_inventory({"jobs": ["rennes:77"]})
    with pytest.raises(AnsibleParserError, match="give a job id"):
        run_inventory({"jobs": ["rennes/12"]})


def test_remote_values_are_unsafe_and_group_names_valid(fake_api, run_inventory):
    script_site(fake_api, "rennes", {"parasilo": 1})
    OarSite(fake_api, "rennes").add(running_job(5, "rennes", ["parasilo-1"], name="x{{ lookup('pipe','id') }}"))
    KavlanSite(fake_api, "rennes", interface_names("rennes", 1))
    inv = run_inventory({"sites": ["rennes"]})
    name = inv.vars(fqdn("parasilo-1"))["g5k_job_name"]
    assert name == "x{{ lookup('pipe','id') }}"
    assert not TrustedAsTemplate.is_tagged_on(name)
    # nothing the plugin sets may be templated, not even the site name taken from the (trusted) config file
    strings = [v for v in inv.vars(fqdn("parasilo-1")).values() if isinstance(v, str)]
    assert "rennes" in strings
    assert [v for v in strings if TrustedAsTemplate.is_tagged_on(v)] == []
    assert inv.group("job_x___lookup__pipe___id_____") == [fqdn("parasilo-1")]


def test_constructed_options(fake_api, rennes, run_inventory):
    rennes.membership[fqdn("parasilo-1")] = "4"
    inv = run_inventory({"sites": ["rennes"], "keyed_groups": [{"key": "g5k_vlan", "prefix": "in"}],
                         "groups": {"first": "g5k_node == 'parasilo-1'"},
                         "compose": {"ansible_user": "'root'"}})
    assert inv.group("in_4") == [fqdn("parasilo-1")]
    assert inv.group("first") == [fqdn("parasilo-1")]
    assert inv.vars(fqdn("parasilo-2"))["ansible_user"] == "root"


def test_constructed_strict_fails_on_undefined(fake_api, rennes, run_inventory):
    with pytest.raises(AnsibleError, match="no_such_var"):
        run_inventory({"sites": ["rennes"], "strict": True, "compose": {"x": "no_such_var"}})


PLACEMENT_TEXT = ("#list of nodes parasilo-1.rennes.grid5000.fr 4 20 8 parasilo-2.rennes.grid5000.fr 4 20 8 "
                  "#list of VMs vm00 1 1 1 2147483647 vm01 1 1 1 2147483647 vm02 1 1 1 2147483647 "
                  "#initial configuration parasilo-1.rennes.grid5000.fr vm00 vm02 parasilo-2.rennes.grid5000.fr vm01 "
                  "#end of configuration")


def test_guests_from_the_tutorial_format(fake_api, rennes, run_inventory, tmp_path):
    (tmp_path / "placement.txt").write_text(PLACEMENT_TEXT)
    rennes.membership[fqdn("parasilo-1")] = "1"
    script_gateway(fake_api, "rennes", "1", "172.16.111.101")
    inv = run_inventory({"sites": ["rennes"], "guest_placement": "placement.txt", "guest_address_offset": 1})
    assert inv.group("g5k_guests") == ["vm00", "vm01", "vm02"]
    assert inv.group("g5k_hypervisors") == [fqdn("parasilo-1"), fqdn("parasilo-2")]
    vm00, vm01 = inv.vars("vm00"), inv.vars("vm01")
    assert (vm00["ansible_host"], vm00["g5k_mac"]) == ("10.156.4.2", "00:16:3E:9C:04:02")  # offset 1 skips .1
    assert (vm01["g5k_ip"], vm01["g5k_hypervisor"]) == ("10.156.4.3", fqdn("parasilo-2"))
    assert (vm00["g5k_netmask"], vm00["g5k_gateway"]) == ("255.252.0.0", "10.159.255.254")
    assert vm00["g5k_resources"] == [1, 1, 1, 2147483647]
    assert vm00["ansible_ssh_common_args"] == "-o ProxyJump=kavlan-1.rennes.grid5000.fr"  # as its hypervisor
    hypervisor = inv.vars(fqdn("parasilo-1"))
    assert hypervisor["g5k_guests"] == ["vm00", "vm02"]
    assert hypervisor["g5k_placement_capacity"] == [4, 20, 8]
    assert "vm00" not in inv.group("site_rennes")


def test_guests_from_inline_yaml_with_fixed_address(fake_api, rennes, run_inventory):
    placement = {"guests": ["web", {"name": "db", "ip": "10.156.7.200", "vcpus": 4, "memory": 8192}],
                 "placement": {"parasilo-3": ["db", "web"]}}
    inv = run_inventory({"sites": ["rennes"], "hostnames": "short", "guest_placement": placement})
    assert inv.vars("web")["g5k_ip"] == "10.156.4.1"
    assert (inv.vars("db")["g5k_vcpus"], inv.vars("db")["g5k_memory"]) == (4, 8192)
    assert (inv.vars("web")["g5k_vcpus"], inv.vars("web")["g5k_memory"]) == (None, None)
    assert (inv.vars("db")["g5k_ip"], inv.vars("db")["g5k_mac"]) == ("10.156.7.200", "00:16:3E:9C:07:C8")
    assert inv.vars("db")["g5k_hypervisor"] == "parasilo-3"
    guests = inv.vars("parasilo-3")["g5k_guests"]
    assert guests == ["web", "db"] and not any(TrustedAsTemplate.is_tagged_on(g) for g in guests)


def test_guest_named_like_a_node_is_skipped_with_a_warning(fake_api, rennes, run_inventory, capsys):
    placement = {"placement": {"parasilo-1": ["parasilo-2", "vm1"]}}
    inv = run_inventory({"sites": ["rennes"], "hostnames": "short", "guest_placement": placement})
    assert inv.group("g5k_guests") == ["vm1"]
    assert inv.vars("parasilo-1")["g5k_guests"] == ["vm1"]
    assert "guest parasilo-2 has the name of another host" in capsys.readouterr().err


def test_placement_errors_stop_before_any_request(fake_api, rennes, run_inventory, tmp_path):
    (tmp_path / "bad.txt").write_text("#list of nodes n-1 4 #list of VMs vm0 1 #initial configuration n-1 vm0 vm0")
    with pytest.raises(AnsibleParserError, match="VM vm0 is placed twice"):
        run_inventory({"sites": ["rennes"], "guest_placement": "bad.txt"})
    with pytest.raises(AnsibleParserError, match="cannot read guest_placement"):
        run_inventory({"sites": ["rennes"], "guest_placement": "missing.txt"})
    assert fake_api.calls == []


def test_placement_that_does_not_fit_the_jobs(fake_api, rennes, run_inventory):
    with pytest.raises(AnsibleParserError, match="puts guests on parasilo-4, which no selected job holds"):
        run_inventory({"sites": ["rennes"], "guest_placement": {"placement": {"parasilo-4": ["vm0"]}}})
    many = {"placement": {"parasilo-1": ["vm%d" % i for i in range(1023)]}}
    with pytest.raises(AnsibleParserError, match=r"guests placed on nodes at rennes .*: 1023 guests need an address but "
                       r"10\.156\.4\.0/22 hold 1022 usable addresses"):
        run_inventory({"sites": ["rennes"], "guest_placement": many})


def test_file_suffix_is_required(tmp_path, monkeypatch, capsys):
    plugin = inventory_loader.get("g5k.testbed.g5k")
    monkeypatch.setattr(plugin.display, "verbosity", 3)
    for name in ("inventory.yml", "g5k.json", "g5k.yml.bak"):
        path = tmp_path / name
        path.write_text("plugin: g5k.testbed.g5k\n")
        assert not plugin.verify_file(str(path))
    assert "skips %s: its inventory files must end with g5k.yml or g5k.yaml" % (tmp_path / "inventory.yml") \
        in capsys.readouterr().out
    for name in ("g5k.yml", "rennes.g5k.yaml"):
        path = tmp_path / name
        path.write_text("plugin: g5k.testbed.g5k\n")
        assert plugin.verify_file(str(path))
    assert not plugin.verify_file(str(tmp_path / "absent.g5k.yml"))


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("plugin: community.general.other\n", "Incorrect plugin name"),
    ("plugin: g5k.testbed.g5k\nhostnames: long\n", "hostnames"),
    ("plugin: g5k.testbed.g5k\nsites: [rennes\n", "YAML parsing failed"),
])
def test_bad_files_are_parser_errors(fake_api, tmp_path, content, message):
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    path = tmp_path / "bad.g5k.yml"
    path.write_text(content)
    plugin = inventory_loader.get("g5k.testbed.g5k")
    with pytest.raises(AnsibleError, match=message):
        plugin.parse(InventoryData(), DataLoader(), str(path))
    assert fake_api.calls == []


def test_credentials_may_be_templated(fake_api, rennes, run_inventory, monkeypatch):
    monkeypatch.setenv("MY_G5K_PASSWORD", "from-env")
    run_inventory({"sites": ["rennes"], "api_password": "{{ lookup('ansible.builtin.env', 'MY_G5K_PASSWORD') }}"})
    sent = fake_api.calls[0].headers["Authorization"]
    import base64
    assert base64.b64decode(sent.split()[1]).decode() == "jdoe:from-env"


def test_unnamed_jobs_with_one_id_on_two_sites_are_two_groups(fake_api, rennes, run_inventory):
    """Job ids are numbered per site: rennes's job 7 and nancy's job 7 are different jobs."""
    rennes.oar.add(running_job(7, "rennes", ["parasilo-4"], name=None))
    script_site(fake_api, "nancy", {"gros": 2})
    OarSite(fake_api, "nancy").add(running_job(7, "nancy", ["gros-1"], name=None))
    KavlanSite(fake_api, "nancy", [fqdn("gros-%d" % i, "nancy") for i in (1, 2)])
    inv = run_inventory({"jobs": ["rennes:7", "nancy:7"]})
    assert inv.group("job_rennes_7") == [fqdn("parasilo-4")]
    assert inv.group("job_nancy_7") == [fqdn("gros-1", "nancy")]
    assert inv.group("job_7") is None
