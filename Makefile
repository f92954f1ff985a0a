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

# Test suites run by `make test`. The fabric suites take the machine's one emulated site (and the
# host settings it resets) in turn; the others need no site and run beside them, one at a time.
FABRIC_SUITES := test-emulator test-integration-fabric test-roles
OTHER_SUITES := test-units test-sanity test-lint test-integration-api
# Molecule scenarios of different roles run at once (their containers and bridges are named apart).
ROLE_JOBS ?= 2
SUITES := $(FABRIC_SUITES) $(OTHER_SUITES)

.PHONY: help deps system-deps venv collection podman-conf node-image ansible-test-bootstrap demo test \
	$(SUITES) test-integration bench clean

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
	@mkdir -p $(BUILD)/logs; rm -f $(BUILD)/logs/*.status; \
	run() { start=$$SECONDS; \
	        if $(MAKE) --no-print-directory $$1 > $(BUILD)/logs/$$1.log 2>&1 < /dev/null; \
	        then echo passed > $(BUILD)/logs/$$1.status; else echo failed > $(BUILD)/logs/$$1.status; fi; \
	        echo "--- $$1 $$(cat $(BUILD)/logs/$$1.status) in $$((SECONDS - start)) s (log: $(BUILD)/logs/$$1.log)"; }; \
	(for suite in $(OTHER_SUITES); do run $$suite; done) & others=$$!; \
	for suite in $(FABRIC_SUITES); do run $$suite; done; wait $$others; \
	failed=(); passed=(); \
	for suite in $(SUITES); do \
	  echo "=== $$suite: $$(cat $(BUILD)/logs/$$suite.status)"; cat $(BUILD)/logs/$$suite.log; \
	  if [ "$$(cat $(BUILD)/logs/$$suite.status)" = passed ]; then passed+=($$suite); else failed+=($$suite); fi; \
	done; \
	echo "=== suites failed: $${failed[*]:-none}"; \
	for suite in $${failed[@]}; do \
	  echo "--- what $$suite reported failing (its whole log is above)"; \
	  { grep -E '^(FAILED|ERROR) |^=+ .*(failed|error).* in |molecule failed|scenarios left |\*\*\* \[' $(BUILD)/logs/$$suite.log || true; } | tail -40; \
	done; \
	echo "suites: $${#passed[@]} passed, $${#failed[@]} failed"; \
	[ $${#failed[@]} -eq 0 ]

# pytest exits 5 when it collected nothing: make treats that as the failure it is.
test-units: collection
	$(BIN)/pytest tests/unit

test-emulator: podman-conf
	$(BIN)/pytest emulator/tests

# Modules, playbooks and the inventory plugin against a running emulator, in two suites: the
# tests marked `fabric` share the emulated site (real nodes, bridges, DHCP); the others start
# emulators of their own (API only). The slowest tests are listed at the end of each log.
test-integration: test-integration-api test-integration-fabric

test-integration-fabric: collection podman-conf
	$(BIN)/pytest --durations=25 -m fabric tests/integration

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
