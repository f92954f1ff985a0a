"""The inventory plugin against careless input and a hostile API (issue 21): job names that
share a group, job states in the wrong case, redirects, unusable api_uri and settings."""

import pytest

from ansible.errors import AnsibleParserError

from g5k_fake_api import BASE, Reply
from g5k_reference import KavlanSite, OarSite, running_job, script_site


def fqdn(short):
    return "%s.rennes.grid5000.fr" % short


@pytest.fixture
def rennes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 4})
    oar = OarSite(fake_api, "rennes")
    names = [fqdn("parasilo-%d" % i) for i in range(1, 5)] + [fqdn("parasilo-%d-eth1" % i) for i in range(1, 5)]
    kavlan = KavlanSite(fake_api, "rennes", names)
    kavlan.oar = oar
    return kavlan


def test_jobs_whose_names_share_a_group_are_warned_about(fake_api, rennes, run_inventory, capsys):
    for uid, name in ((1, "exp-1"), (2, "exp_1"), (3, "exp.1")):
        rennes.oar.add(running_job(uid, "rennes", ["parasilo-%d" % uid], name=name))
    inv = run_inventory({"sites": ["rennes"]})
    assert inv.group("job_exp_1") == [fqdn("parasilo-%d" % i) for i in (1, 2, 3)]
    err = capsys.readouterr().err.replace("\n", " ")
    assert "jobs 'exp-1', 'exp.1', 'exp_1' all land in group job_exp_1" in " ".join(err.split())
    assert "group their hosts by g5k_job_uid with keyed_groups" in " ".join(err.split())


def test_distinct_job_groups_give_no_warning(fake_api, rennes, run_inventory, capsys):
    rennes.oar.add(running_job(1, "rennes", ["parasilo-1"], name="exp-1"))
    rennes.oar.add(running_job(2, "rennes", ["parasilo-2"], name="exp-2"))
    run_inventory({"sites": ["rennes"]})
    assert "all land in group" not in capsys.readouterr().err


def test_job_states_in_another_case_still_find_the_jobs(fake_api, rennes, run_inventory):
    rennes.oar.add(running_job(1, "rennes", ["parasilo-1"], name="exp"))
    assert run_inventory({"sites": ["rennes"], "job_states": ["Running"]}).hosts == [fqdn("parasilo-1")]


@pytest.mark.parametrize("states, message", [(["runing"], "job_states: 'runing' is not an OAR job state: use waiting"),
                                             (["active"], "'active' is not an OAR job state")])
def test_unknown_job_states_are_refused_before_any_request(fake_api, rennes, run_inventory, states, message):
    with pytest.raises(AnsibleParserError, match=message):
        run_inventory({"sites": ["rennes"], "job_states": states})
    assert not fake_api.calls


@pytest.mark.parametrize("config, message", [
    ({"api_uri": BASE + "#x"}, "holds a query"),
    ({"api_uri": "http://[::1/stable"}, "cannot be read (Invalid IPv6 URL)"),
    ({"api_uri": "http://127.0.0.1:99999/stable"}, "Port out of range"),
    ({"api_timeout": 0}, "api_timeout is 0"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem cannot be read"),
])
def test_unusable_connection_settings_stop_before_any_request(fake_api, run_inventory, config, message):
    with pytest.raises(AnsibleParserError) as err:
        run_inventory(dict({"sites": ["rennes"]}, **config))
    assert message in str(err.value)
    assert not fake_api.calls


def test_a_redirect_to_another_host_is_refused_and_gets_no_password(fake_api, run_inventory):
    fake_api.on("GET", "/sites/rennes", Reply(302, headers={"Location": "http://127.0.0.2:8080/stable/sites/rennes"}))
    with pytest.raises(AnsibleParserError) as err:
        run_inventory({"sites": ["rennes"]})
    assert "redirected to http://127.0.0.2:8080/stable/sites/rennes" in str(err.value)
    assert len(fake_api.calls) == 1
