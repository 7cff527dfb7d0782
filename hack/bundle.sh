#!/usr/bin/env bash
# The product as one file: src/cli.ts and everything it imports, npm packages included, bundled by esbuild into
# <out>/chainmedic.js, with its source map and the licenses of the bundled packages beside it (ADR 17). The image
# holds Node, these files and the iptables tools; the tests run this same file. `make build` and the Dockerfile
# both call this script.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: hack/bundle.sh <output directory>}
mkdir -p "$out"
# The bundle is ESM; some CommonJS dependencies call require() for Node's built-ins, which ESM does not define.
banner="import { createRequire as __chainmedicRequire } from 'node:module'; const require = __chainmedicRequire(import.meta.url);"
node_modules/.bin/esbuild src/cli.ts \
  --bundle --platform=node --format=esm --target=node22.19 \
  --minify --keep-names --sourcemap --legal-comments=none \
  --banner:js="$banner" \
  --metafile="$out/chainmedic.meta.json" \
  --log-level=warning \
  --outfile="$out/chainmedic.js"
chmod +x "$out/chainmedic.js"
node hack/third-party-licenses.mjs "$out/chainmedic.meta.json" "$out/chainmedic.licenses.txt"
