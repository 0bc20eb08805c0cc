# syntax=docker/dockerfile:1
#
# Modelgate server image: docker build -t modelgate .
#
# Three stages on the same Debian (glibc) Node.js 20 image, pinned by tag; ONNX Runtime's prebuilt
# binaries need glibc, so not Alpine. Pin by digest as well for reproducible builds:
#   docker build --build-arg NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:<digest> -t modelgate .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: every dependency, then `npm run build` into dist/ -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's install script would otherwise fetch the CUDA execution provider for linux-x64;
# the CPU binaries are inside the npm package. .npmrc runs no install script at all (ignore-scripts).
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js ./scripts/build.js
COPY src ./src
COPY migrations ./migrations
# The admin console's sources (React + Vite; built into dist/console, served under /console).
COPY console ./console
# dist/src/main.js (server), dist/src/cli.js (operator commands), dist/src/database/data-source.js
# (TypeORM CLI), dist/migrations/*.js, dist/console (the console's assets)
RUN npm run build

# --- prod-deps: production dependencies only, one platform's ONNX Runtime -------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
# No install script is needed at run time (onnxruntime-node's only downloads CUDA binaries; pglite
# ships its WebAssembly), so none runs.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# onnxruntime-node ships CPU binaries for every platform in bin/napi-v6/<os>/<arch>/; this image is
# linux/amd64 and keeps linux/x64 only (libonnxruntime.so.1 and onnxruntime_binding.node, ~45 MB of
# ~290 MB). No CUDA/TensorRT provider library is in the package, and the build fails if one appears.
RUN set -eu; \
    ort=node_modules/onnxruntime-node/bin/napi-v6; keep="$ort/linux/x64"; \
    if [ "$(node -p process.arch)" != x64 ]; then \
      echo "This image is built for linux/amd64 (ONNX Runtime linux/x64); build with --platform=linux/amd64" >&2; exit 1; \
    fi; \
    test -f "$keep/onnxruntime_binding.node"; test -f "$keep/libonnxruntime.so.1"; \
    find "$ort" -mindepth 2 -maxdepth 2 ! -path "$keep" -exec rm -rf {} +; \
    find "$ort" -mindepth 1 -maxdepth 1 -type d -empty -delete; \
    if find "$ort" -name 'libonnxruntime_providers_*' | grep -q .; then echo "GPU provider libraries found" >&2; exit 1; fi

# --- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it passes SIGTERM/SIGINT straight on to node and reaps any orphaned process. Node as
# PID 1 would ignore SIGTERM until the application installs its handler, which happens only after
# migrations and model loading (the kernel drops default-action signals sent to PID 1).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 modelgate \
 && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin modelgate
WORKDIR /app
# Code and dependencies belong to root and are read-only for the server; only models/ (uploads
# through the admin API) and data/ (usage journal and spool) are the server's to write.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The example models. A deployment mounts its own repository here (MODEL_REPOSITORY).
COPY --chown=10001:10001 models ./models
RUN mkdir -p /app/data/usage-spool /app/data/usage-journal && chown -R 10001:10001 /app/data

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    GRPC_PORT=8001 \
    MODEL_REPOSITORY=/app/models \
    EMBEDDED_DATA_DIR=/app/data \
    USAGE_SPOOL_DIR=/app/data/usage-spool \
    USAGE_JOURNAL_DIR=/app/data/usage-journal

USER 10001:10001
EXPOSE 3000 8001
STOPSIGNAL SIGTERM
# No curl in the slim image: node asks the liveness endpoint itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# The same command as `npm run start:prod`, without npm in between (npm would not pass signals on).
CMD ["node", "--max-semi-space-size=32", "dist/src/main.js"]
