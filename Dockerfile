# One image runs both the operator (non-root) and the node agent (the Job runs it privileged).
# Build: make image (needs a container engine). Node follows .node-version (a unit test checks it); the runtime
# base is azure-npm's own (Ubuntu 24.04), so the agent's iptables reads the rules exactly as azure-npm's does.
# Pin both by digest too: make image NODE_IMAGE=node:<version>-bookworm-slim@sha256:<d> BASE_IMAGE=ubuntu:24.04@sha256:<d>
# (docs/install.md).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim
ARG BASE_IMAGE=ubuntu:24.04

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# The product only (src/ -> dist/): the workshop (tools/: sim, demo, bench, soak) never enters the image (ADR 10).
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

# Only the node binary comes from the Node image.
FROM ${NODE_IMAGE} AS node

FROM ${BASE_IMAGE}
# Both iptables backends (the agent probes exactly as azure-npm does; Ubuntu 24.04 ships iptables 1.8.10, as
# azure-npm's image), nsenter (util-linux) for systemctl/journalctl in the host's namespaces, and what the Node
# binary links against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables util-linux ca-certificates libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /app/dist/cli.js /usr/local/bin/chainmedic && chmod +x /app/dist/cli.js \
 && node --version && iptables-nft --version && iptables-legacy --version
ENV NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["operator"]
