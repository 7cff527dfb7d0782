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
COPY tsconfig.json ./
COPY hack/bundle.sh hack/third-party-licenses.mjs ./hack/
# The product only (src/ -> one bundled file, ADR 17): the workshop (tools/) never enters the image (ADR 10),
# and nothing from npm is installed in it: the bundle holds what it uses.
COPY src ./src
RUN hack/bundle.sh dist

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
COPY --from=build /src/dist/chainmedic.js /src/dist/chainmedic.js.map /src/dist/chainmedic.licenses.txt ./
RUN ln -s /app/chainmedic.js /usr/local/bin/chainmedic \
 && node --version && iptables-nft --version && iptables-legacy --version && node /app/chainmedic.js --version
ENV NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["node", "/app/chainmedic.js"]
CMD ["operator"]
