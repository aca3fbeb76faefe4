# maestro.docker: every target installs what it needs, from a clean clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SHIPS ?= 3
COLL_LINK := .collections/ansible_collections/maestro/docker

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help
help:
	@echo "make demo       set up everything, start the local fleet and run the main job"
	@echo "make test       set up everything and run lint, unit and integration tests"
	@echo "make fleet      start the local fleet of ships (SHIPS=$(SHIPS))"
	@echo "make fleet-down remove everything the fleet made"

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
