# g5k.testbed: the two commands of the README, and the pieces they are made of.
#   make demo   install what is needed, bring up the emulated site, run a tutorial playbook
#   make test   install what is needed and run every test suite
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
# Outside the checkout: inside it, ansible-test would list files through git and skip ignored ones.
SANITY_ROOT := /tmp/g5k-testbed-sanity.$(shell echo $(CURDIR) | md5sum | cut -c1-8)/ansible_collections/g5k/testbed

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
# podman here needs runc and rlimits root may set (see scripts/podman-conf).
export CONTAINERS_CONF := $(BUILD)/containers.conf

# Test suites run by `make test`, in two lanes that run side by side (scripts/run-suites):
# - the fabric lane holds the machine's one emulated site (and the host settings it resets): the
#   emulator's fabric tests, then the playbook tests on the shared site, with molecule beside them
#   once that site is up (the scenarios' podman networks keep to their own names and subnets);
# - the other lane needs no site and runs its suites one after another.
FABRIC_SUITES := test-emulator-fabric test-integration-fabric test-roles
OTHER_SUITES := test-units test-guest-boot test-sanity test-lint test-emulator-api test-integration-api
# Molecule scenarios of different roles run at once (their containers and bridges are named apart).
ROLE_JOBS ?= 2
SUITES := $(FABRIC_SUITES) $(OTHER_SUITES)

.PHONY: help deps system-deps venv collection podman-conf node-image ansible-test-bootstrap demo test \
	$(SUITES) test-integration test-emulator bench clean

help:
	@echo "make demo    bring up the emulated Grid'5000 site and run a tutorial playbook against it"
	@echo "make test    run every test suite: $(SUITES)"
	@echo "make deps    install Debian packages, the venv and link the collection"

deps: system-deps venv collection podman-conf

system-deps:
	@scripts/install-system-deps

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/venv.txt emulator/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/venv.txt
	$(BIN)/pip install --quiet -e ./emulator
	@touch $@

# The collection must live at ansible_collections/g5k/testbed to be found: link the checkout there.
collection: $(COLLECTIONS)/ansible_collections/g5k/testbed

$(COLLECTIONS)/ansible_collections/g5k/testbed:
	@mkdir -p $(@D)
	@ln -sfn ../../../.. $@

podman-conf: $(BUILD)/containers.conf

$(BUILD)/containers.conf: scripts/podman-conf
	@mkdir -p $(@D)
	@scripts/podman-conf > $@

demo: deps
	@scripts/demo

test: deps
	@$(BIN)/python scripts/run-suites $(BUILD)/logs

# pytest exits 5 when it collected nothing: make treats that as the failure it is.
test-units: collection
	$(BIN)/pytest -m "not slow" tests/unit

# A Debian + cloud-init guest booted under QEMU (TCG here) by kvm_guest through the host's libvirtd.
test-guest-boot: collection
	$(BIN)/pytest --durations=5 -m slow tests/unit

test-emulator: test-emulator-api test-emulator-fabric

test-emulator-api: podman-conf
	$(BIN)/pytest --ignore=emulator/tests/fabric emulator/tests

test-emulator-fabric: podman-conf
	$(BIN)/pytest --durations=10 emulator/tests/fabric

# Modules, playbooks and the inventory plugin against a running emulator, in two suites: the
# tests marked `fabric` share the emulated site (real nodes, bridges, DHCP), two groups of files at
# once (scripts/test-integration-fabric); the others start emulators of their own (API only). The
# slowest tests are listed at the end of each log.
test-integration: test-integration-api test-integration-fabric

test-integration-fabric: collection podman-conf
	$(BIN)/python scripts/test-integration-fabric --durations=25

test-integration-api: collection podman-conf
	$(BIN)/pytest --durations=25 -m "not fabric" tests/integration

# The node image the fabric and the molecule scenarios start containers from (built once).
node-image: podman-conf
	$(BIN)/g5k-emulator image build

# Every molecule scenario of every role, ROLE_JOBS roles at a time, on fresh-machine host settings;
# fails if a scenario leaves containers, networks, links or NAT rules behind (scripts/test-roles).
test-roles: collection node-image
	$(BIN)/python scripts/test-roles $(BUILD)/logs/roles $(ROLE_JOBS)

# ansible-test wants a real ansible_collections/g5k/testbed tree: copy the shipped content there.
test-sanity: ansible-test-bootstrap
	@mkdir -p $(SANITY_ROOT)
	rsync -a --delete --exclude-from=scripts/sanity-excludes ./ $(SANITY_ROOT)/
	cd $(SANITY_ROOT) && $(BIN)/ansible-test sanity --venv --python 3.11 --color no

# ansible-test bootstraps pip in its venvs with a script from a host that is unreachable here:
# put our offline equivalent in its cache, under the name it looks for (pinned pip of ansible-test).
ansible-test-bootstrap: venv
	@v=$$(grep -o "pip='[0-9.]*'" $(VENV)/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py | grep -o "[0-9][0-9.]*"); \
	 test -n "$$v"; mkdir -p ~/.ansible/test/cache; \
	 cp scripts/ansible-test-get-pip.py ~/.ansible/test/cache/get_pip_$${v//./_}.py

test-lint: collection
	$(BIN)/ansible-lint

# Scale benchmarks (issue 13): JSON + markdown per benchmark under benchmarks/results/ (see
# docs/performance.md). Those needing the emulated site's fabric run with BENCH_ARGS=--fabric.
bench: venv collection
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)

# `make print-FABRIC_SUITES`: a variable's value, for scripts/run-suites.
print-%:
	@echo $($*)
