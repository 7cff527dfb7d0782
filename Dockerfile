# One image runs both the operator (non-root) and the node agent (the Job runs it privileged).
# Build: make image (needs a container engine). The base follows .node-version (a unit test checks it);
# pin it by digest too with `make image NODE_IMAGE=node:<version>-bookworm-slim@sha256:<digest>` (docs/install.md).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM ${NODE_IMAGE}
# The agent needs both iptables backends (it probes exactly as azure-npm does) and nsenter.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables util-linux \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /app/dist/cli.js /usr/local/bin/chainmedic && chmod +x /app/dist/cli.js
ENV NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["operator"]
