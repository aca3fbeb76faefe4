# maestro.docker: every target installs what it needs, from a clean clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SHIPS ?= 3
COLL_LINK := .collections/ansible_collections/maestro/docker
# Debian packages the fleet and the demo need: command -> package.
APT_NEEDS := ssh:openssh-client dockerd:docker.io docker-registry:docker-registry busybox:busybox-static iptables:iptables ip:iproute2 \
	nsenter:util-linux haproxy:haproxy openssl:openssl keepalived:keepalived

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help
help:
	@echo "make demo        set up everything, start the local fleet and run the main job"
	@echo "make test        set up everything and run lint, unit, integration and molecule tests"
	@echo "make fleet       start the local fleet of ships (SHIPS=$(SHIPS)); reuses a running one"
	@echo "make fleet-down  remove everything the fleet made"
	@echo "make lint | unit | integration | molecule | sanity   one part of make test"
	@echo "make docs        regenerate the ships file key reference from the loader's schema"
	@echo "make bench       benchmark against maestro-ng, community.docker and the floor (BENCH_SHIPS=$(BENCH_SHIPS) ships; not part of make test)"

## System packages (Debian), installed only when a command is missing.
.PHONY: deps
deps:
	@missing=""; for pair in $(APT_NEEDS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  [ "$$(id -u)" = 0 ] || { echo "Missing packages:$$missing. Install them as root (apt-get install -y$$missing) or run make as root."; exit 1; }; \
	  command -v apt-get >/dev/null || { echo "Missing packages:$$missing, and apt-get is not available: install them by hand."; exit 1; }; \
	  echo "Installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing >/dev/null; \
	fi

## Python virtualenv with the pinned dependencies, and the collection link.
.PHONY: venv
venv: $(VENV)/.installed $(COLL_LINK)

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed to create the virtualenv (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(COLL_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

## The local fleet: one dockerd per network namespace plus a registry (tests/fleet/fleet.py).
.PHONY: fleet fleet-down
fleet: deps venv
	$(PY) tests/fleet/fleet.py up --ships $(SHIPS)

fleet-down:
	@$(PYTHON) tests/fleet/fleet.py down

## Tests.
.PHONY: test lint unit integration molecule sanity
test: lint unit integration molecule

lint: venv
	ruff check .
	ruff format --check .
	# ansible-lint's syntax checks run with no inventory, which unparsed_is_failed (ansible.cfg) refuses.
	ANSIBLE_INVENTORY_UNPARSED_FAILED=false ansible-lint
	$(MAKE) sanity

sanity: venv
	tests/sanity/run.sh

unit: venv
	pytest tests/unit -q

# The SSH tests need an sshd. Extracted from Debian's package, not installed: installing
# openssh-server would start a system sshd listening on this machine.
SSHD_ROOT := .build/sshd/root
$(SSHD_ROOT)/usr/sbin/sshd:
	rm -rf .build/sshd && mkdir -p .build/sshd
	cd .build/sshd && { apt-get download -q openssh-server libwrap0 >/dev/null 2>&1 || { apt-get update -qq && apt-get download -q openssh-server libwrap0 >/dev/null; }; }
	cd .build/sshd && for deb in *.deb; do dpkg-deb -x "$$deb" root; done
	test -x $@

integration: fleet $(SSHD_ROOT)/usr/sbin/sshd bench/.venv-maestro/.installed
	FLEET_SSHD=$(CURDIR)/$(SSHD_ROOT)/usr/sbin/sshd FLEET_SSHD_LIBS=$$(echo $(CURDIR)/$(SSHD_ROOT)/usr/lib/*-linux-gnu) \
	  pytest tests/integration -q -rs --durations=15

# The Molecule scenarios of the roles (extensions/molecule/README.md). The default scenario brings up a fleet of its
# own (MOLECULE_FLEET_PREFIX=mdm, MOLECULE_FLEET_SUBNET=10.231.9, state in .fleet-molecule/) and takes it down at the
# end. Molecule's state is kept in .cache/molecule and cleared first, so that an interrupted run's "created" state
# never makes it skip create; fleet.py up then reuses a running fleet or cleans a half-made one.
MOLECULE_STATE := $(CURDIR)/.cache/molecule
molecule: deps venv
	rm -rf $(MOLECULE_STATE)
	MOLECULE_EPHEMERAL_DIRECTORY=$(MOLECULE_STATE) molecule test --all

## The ships file key reference, generated from the loader's schema (a unit test fails when it is stale).
.PHONY: docs
docs: venv
	PYTHONPATH=.collections $(PY) docs/tools/ships_file_reference.py > docs/docsite/rst/ships_file_reference.rst

## The main job on the local fleet: demo/web v1 behind the proxy, blue/green to v2 under load, the broken
## image refused, the flaky one aborted by its canary, rollback to v1, and a summary table (demo/run.py; logs in .build/demo/).
.PHONY: demo
demo: fleet
	$(PY) demo/run.py

## Benchmark (issue 6; not part of make test): bench/README.md. It starts (or reuses) a fleet of
## BENCH_SHIPS ships, installs each peer in its own venv from bench/requirements-*.txt, and writes
## bench/results/results.{json,md,png}. BENCH_ARGS passes options to bench/run.py, e.g.
## make bench BENCH_SHIPS=3 BENCH_ARGS="--sizes 3x1,3x10 --runs 2".
BENCH_SHIPS ?= 48
BENCH_ARGS ?=
BENCH_VENVS := bench/.venv-maestro/.installed bench/.venv-community/.installed

.PHONY: bench bench-venvs
bench: SHIPS = $(BENCH_SHIPS)
bench: fleet bench-venvs
	$(PY) bench/run.py $(BENCH_ARGS)

bench-venvs: $(BENCH_VENVS)

bench/.venv-%/.installed: bench/requirements-%.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed to create bench/.venv-$* (set PYTHON=...)"; exit 1; }
	rm -rf bench/.venv-$*
	$(PYTHON) -m venv bench/.venv-$*
	bench/.venv-$*/bin/python -m pip install -q --upgrade pip
	bench/.venv-$*/bin/python -m pip install -q -r $<
	touch $@
