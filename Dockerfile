# syntax=docker/dockerfile:1
# kserve-llmd: one image for the webhook, controller and autoscaler (`kserve-llmd <command>`).
#   docker build -t ghcr.io/kserve-llmd/kserve-llmd:0.1.0 .
# Stages: build (all dependencies, tsc → dist/), deps (production dependencies only), runtime (node:24-slim,
# non-root, compiled JavaScript; no TypeScript loader, no dev tools, no npm cache).
# Node 24 (not 20): @kubernetes/client-node 2 and undici 8 need Node ≥ 22.19 (style.md §4.1).
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-slim
LABEL org.opencontainers.image.source="https://github.com/kserve-llmd/kserve-llmd" \
      org.opencontainers.image.description="llm-d routing, prefill/decode disaggregation and autoscaling for KServe" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# `kserve-llmd webhook` without --cert-dir prints a try-it request built from this example.
COPY examples/nvidia-basic.yaml ./dist/examples/nvidia-basic.yaml
# `kserve-llmd render` builds its pod preview from the runtimes this release ships (render/runtimes.ts).
COPY serving-runtimes ./dist/serving-runtimes
# The image's own non-root user (uid 1000 in the node images), numeric so runAsNonRoot can verify it;
# manifests/ run it with runAsUser 1000 and a read-only root filesystem.
USER 1000:1000
EXPOSE 8443 9090
ENTRYPOINT ["node", "dist/src/cli/entry.js"]
CMD ["--help"]
