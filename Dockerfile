# syntax=docker/dockerfile:1
# Build: docker build -t foresight:0.1.0 .
# The image runs the `foresight` CLI: `adapter` by default (see deploy/ for the arguments used in a cluster).

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cmd cmd
COPY src src
# The production build compiles cmd/ and src/ only (benchmarks and test helpers build to dist-bench/ elsewhere).
# onnxruntime-node ships prebuilt libraries for every OS and CPU (about 245 MB of 290): keep only
# linux/<this image's arch>.
RUN npm run build && npm prune --omit=dev \
 && arch="$(node -p process.arch)" \
 && test -d "node_modules/onnxruntime-node/bin/napi-v6/linux/${arch}" \
 && find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 2 -maxdepth 2 -type d ! -path "*/linux/${arch}" -exec rm -rf {} + \
 && find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 1 -maxdepth 1 -type d -empty -delete

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# Two glibc malloc arenas instead of up to eight per core: the API's thread, the engine's worker and onnxruntime
# each freed memory into arenas of their own that the process kept (about 40 MiB at 10,000 policies, bench:memory).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY assets assets
COPY models/*.onnx models/*.json models/
# Non-root (the distroless "nonroot" uid), read-only root filesystem friendly: nothing is written at run time.
USER 65532:65532
EXPOSE 6443 9464
# Node is PID 1 here: the CLI handles SIGTERM and SIGINT itself and exits after closing its servers.
# A smaller young generation (8 MB semi-spaces instead of 16): each refresh parses many short-lived Prometheus
# samples, and with the default most of that churn shows up as peak RSS (bench:engine, docs/benchmarks.md).
ENTRYPOINT ["node", "--enable-source-maps", "--max-semi-space-size=8", "dist/cmd/foresight.js"]
CMD ["adapter"]
