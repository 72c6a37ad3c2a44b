#!/usr/bin/env bash
# Check the image built by hack/build-image.sh: prints one PASS/FAIL line per check, exits 1 if any failed.
#
#   hack/check-image.sh [image]        # default: localhost/foresight:<package.json version>
#
# Runs the image with podman (sharing buildah's storage, no daemon), as the image's own user, the default
# command (`adapter` on its embedded default: local mode, self-signed certificate, demo policy, bundled trace),
# read-only root filesystem, host network: the adapter binds 127.0.0.1 only, so it is reachable from here on
# loopback and from nowhere else. Then, in that container: uid, Node is PID 1, --help, no devDependencies,
# no dist/bench or dist/test; from here: /livez, /readyz, the API discovery; last, SIGTERM to PID 1 and a
# prompt exit 0. Every wait is bounded.
#
# Environment: STORAGE_DRIVER (vfs), FORESIGHT_OCI_RUNTIME (runc if installed, else crun),
#   FORESIGHT_IMAGE_MAX_MB (size limit, 450), FORESIGHT_READY_TIMEOUT (s, 90), FORESIGHT_STOP_TIMEOUT (s, 10),
#   FORESIGHT_PODMAN_ULIMITS (default "nofile=N:N nproc=M:M" from this shell's hard limits, capped).
set -uo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"
# shellcheck source=lib/image.sh
source "${HACK_DIR}/lib/image.sh"

IMAGE="${1:-${IMAGE}}"
READY_TIMEOUT="${FORESIGHT_READY_TIMEOUT:-90}"
STOP_TIMEOUT="${FORESIGHT_STOP_TIMEOUT:-10}"
MAX_MB="${FORESIGHT_IMAGE_MAX_MB:-450}"
RUNTIME="${FORESIGHT_OCI_RUNTIME:-$(command -v runc >/dev/null && echo runc || echo crun)}"
NAME="foresight-check-$$"

[[ "$(id -u)" == 0 ]] || die "run as root (the image is in root's containers storage)"
command -v podman >/dev/null || die "podman not found (Debian: apt-get install podman runc)"

failed=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failed=1; }
check() { # check "description" test-command...
  local d="$1"; shift
  if "$@"; then pass "${d}"; else fail "${d}"; fi
}
P() { timeout 120 podman --storage-driver "${STORAGE_DRIVER}" --cgroup-manager cgroupfs --events-backend file \
  --runtime "${RUNTIME}" "$@"; }

cleanup() { P rm -f -t 0 "${NAME}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

free_port() { # the given port if nothing listens on it, else a free one
  if ! ss -Hltn "sport = :$1" | grep -q .; then echo "$1"; return; fi
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- the image's configuration ------------------------------------------------------------------------------
if ! buildah_ inspect --type image "${IMAGE}" >/dev/null 2>&1; then
  fail "image ${IMAGE} is in local storage (run hack/build-image.sh)"
  exit 1
fi
size_bytes="$(P image inspect --format '{{.Size}}' "${IMAGE}")"
size_mb=$(( size_bytes / 1000 / 1000 ))
check "image size ${size_mb} MB ($(image_size "${IMAGE}") per buildah images) <= ${MAX_MB} MB" test "${size_mb}" -le "${MAX_MB}"
cfg() { buildah_ inspect --type image --format "$1" "${IMAGE}"; }
user="$(cfg '{{.OCIv1.Config.User}}')"
check "config User is 65532:65532 (got '${user}')" test "${user}" == "65532:65532"
ep="$(cfg '{{range .OCIv1.Config.Entrypoint}}{{.}} {{end}}')"
check "config Entrypoint is 'node --enable-source-maps --max-semi-space-size=8 dist/cmd/foresight.js' (got '${ep% }')" \
  test "${ep% }" == "node --enable-source-maps --max-semi-space-size=8 dist/cmd/foresight.js"
cmd="$(cfg '{{range .OCIv1.Config.Cmd}}{{.}} {{end}}')"
check "config Cmd is 'adapter' (got '${cmd% }')" test "${cmd% }" == "adapter"
env_="$(cfg '{{range .OCIv1.Config.Env}}{{.}} {{end}}')"
check "config Env has NODE_ENV=production" grep -qw 'NODE_ENV=production' <<<"${env_}"
check "config Env has MALLOC_ARENA_MAX=2" grep -qw 'MALLOC_ARENA_MAX=2' <<<"${env_}"
stand_in="$(cfg '{{index .OCIv1.Config.Labels "dev.foresight.stand-in"}}')"
[[ -n "${stand_in}" ]] && printf 'INFO  built on the local stand-in base %s (not the published %s)\n' "${stand_in}" "${BASE_IMAGE#localhost/}"

# --- run it -------------------------------------------------------------------------------------------------
api_port="$(free_port 6443)"
metrics_port="$(free_port 9464)"
port_env=()
[[ "${api_port}" == 6443 ]] || port_env+=(-e "FORESIGHT_LISTEN__PORT=${api_port}")
[[ "${metrics_port}" == 9464 ]] || port_env+=(-e "FORESIGHT_METRICS__PORT=${metrics_port}")
# The host's hard limit, capped; "unlimited" is the cap (in $(( )) it would read as an unset variable: 0).
capped_limit() { local v; v="$(ulimit "$1")"; if [[ "${v}" == unlimited || "${v}" -gt "$2" ]]; then echo "$2"; else echo "${v}"; fi; }
nofile="$(capped_limit -Hn 65536)"
nproc="$(capped_limit -Hu 32768)"
read -r -a ulimits <<<"${FORESIGHT_PODMAN_ULIMITS:-nofile=${nofile}:${nofile} nproc=${nproc}:${nproc}}"
ulimit_args=()
for u in "${ulimits[@]}"; do ulimit_args+=(--ulimit "${u}"); done

# Read-only root filesystem without podman's extra tmpfs on /tmp and /run (as readOnlyRootFilesystem in a pod).
log "podman run ${IMAGE} (adapter, ports ${api_port}/${metrics_port} on 127.0.0.1; creating a vfs container copies the image, ~20 s)"
if ! P run -d --name "${NAME}" --network host --read-only --read-only-tmpfs=false "${ulimit_args[@]}" \
  "${port_env[@]}" "${IMAGE}" >/dev/null; then
  fail "podman run ${IMAGE}"
  exit 1
fi
pass "container started (podman run -d --network host --read-only, default entrypoint and command)"

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" 2>/dev/null; }
ready=""
t0=$(date +%s)
while (( $(date +%s) - t0 < READY_TIMEOUT )); do
  [[ "$(P inspect -f '{{.State.Running}}' "${NAME}" 2>/dev/null)" == true ]] || break
  if [[ "$(code "http://127.0.0.1:${metrics_port}/readyz")" == 200 ]]; then ready=$(( $(date +%s) - t0 )); break; fi
  sleep 1
done
if [[ -z "${ready}" ]]; then
  fail "adapter ready within ${READY_TIMEOUT} s (http://127.0.0.1:${metrics_port}/readyz)"
  P logs "${NAME}" 2>&1 | tail -n 20 | sed 's/^/      /'
  exit 1
fi
pass "GET http://127.0.0.1:${metrics_port}/readyz 200 after ${ready} s"
check "GET http://127.0.0.1:${metrics_port}/livez 200" test "$(code "http://127.0.0.1:${metrics_port}/livez")" == 200
disc="$(curl -sk --max-time 5 "https://127.0.0.1:${api_port}/apis/external.metrics.k8s.io/v1beta1" 2>/dev/null)"
check "GET https://127.0.0.1:${api_port}/apis/external.metrics.k8s.io/v1beta1 lists foresight_desired_replicas" \
  grep -q '"foresight_desired_replicas"' <<<"${disc}"
val="$(curl -sk --max-time 10 "https://127.0.0.1:${api_port}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_desired_replicas?labelSelector=foresight.dev%2Fpolicy%3Ddemo" 2>/dev/null)"
check "GET .../foresight_desired_replicas?labelSelector=foresight.dev/policy=demo is an ExternalMetricValueList" \
  grep -q '"kind":"ExternalMetricValueList"' <<<"${val}"

host_pid="$(P inspect -f '{{.State.Pid}}' "${NAME}")"
listen="$(ss -Hltnp 2>/dev/null | grep "pid=${host_pid}," | awk '{print $4}' | sort | tr '\n' ' ')"
check "the container listens on loopback only (${listen% })" \
  bash -c '[[ -n "$1" ]] && ! tr " " "\n" <<<"$1" | grep -v "^$" | grep -qv "^127\.0\.0\.1:"' _ "${listen}"

uid="$(P exec "${NAME}" id -u 2>&1)"
check "id -u in the container is 65532 (got '${uid}')" test "${uid}" == 65532
pid1="$(P exec "${NAME}" cat /proc/1/cmdline 2>/dev/null | tr '\0' ' ')"
check "PID 1 is node itself (got '${pid1% }')" test "${pid1% }" == "node --enable-source-maps --max-semi-space-size=8 dist/cmd/foresight.js adapter"
# The Node.js major of the Dockerfile's base (node:<major>-bookworm-slim).
base_major="$(sed -E 's/^localhost\/node:([0-9]+)-.*/\1/' <<<"${BASE_IMAGE}")"
node_v="$(P exec "${NAME}" node --version 2>&1)"
check "node --version in the container is v${base_major}.x (got '${node_v}')" grep -q "^v${base_major}\\." <<<"${node_v}"
help="$(P exec "${NAME}" node dist/cmd/foresight.js --help 2>&1)"
check "node dist/cmd/foresight.js --help prints the usage" grep -q '^Usage: foresight' <<<"${help}"
check "no dist/bench, no dist/test; dist/cmd/foresight.js present" \
  P exec "${NAME}" sh -c '! test -e dist/bench && ! test -e dist/test && test -f dist/cmd/foresight.js'
check "no typescript, tap, eslint, tsx, autocannon, typescript-eslint in node_modules" \
  P exec "${NAME}" sh -c 'for m in typescript tap eslint tsx autocannon typescript-eslint @eslint/js; do test -e "node_modules/$m" && { echo "      present: $m"; exit 1; }; done; exit 0'
# Every devDependency still in node_modules must be needed by a production package (npm's hidden lockfile).
devs="$(P exec "${NAME}" node -e '
  const fs = require("fs"); const pj = require("/app/package.json");
  const lock = JSON.parse(fs.readFileSync("/app/node_modules/.package-lock.json", "utf8")).packages;
  let bad = 0;
  for (const name of Object.keys(pj.devDependencies || {})) {
    if (!fs.existsSync("/app/node_modules/" + name)) continue;
    const by = Object.entries(lock).filter(([k, v]) => k && ({ ...v.dependencies, ...v.optionalDependencies, ...v.peerDependencies })[name])
      .map(([k]) => k.replace(/^.*node_modules\//, ""));
    console.log((by.length ? "transitive " : "DEV ") + name + (by.length ? " (needed by " + by.join(", ") + ")" : ""));
    if (!by.length) bad = 1;
  }
  for (const [k, v] of Object.entries(lock)) if (v.dev) { console.log("DEV " + k); bad = 1; }
  process.exit(bad);' 2>&1)"
rc=$?
check "every devDependency left in node_modules is a production dependency's dependency" test "${rc}" == 0
[[ -n "${devs}" ]] && sed 's/^/      /' <<<"${devs}"
check "onnxruntime-node keeps only its linux/$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/') library" \
  P exec "${NAME}" sh -c 'test "$(ls -d node_modules/onnxruntime-node/bin/napi-v6/*/*)" = "node_modules/onnxruntime-node/bin/napi-v6/linux/$(node -p process.arch)"'
check "models/*.onnx and assets/policies/demo.yaml present" \
  P exec "${NAME}" sh -c 'ls models/*.onnx >/dev/null && test -f assets/policies/demo.yaml'

# --- SIGTERM to PID 1 -----------------------------------------------------------------------------------------
t0=$(date +%s%N)
P kill --signal TERM "${NAME}" >/dev/null
exited=""
while (( ($(date +%s%N) - t0) / 1000000000 < STOP_TIMEOUT )); do
  [[ "$(P inspect -f '{{.State.Running}}' "${NAME}" 2>/dev/null)" == false ]] && { exited=1; break; }
  sleep 0.2
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [[ -z "${exited}" ]]; then
  fail "exits within ${STOP_TIMEOUT} s of SIGTERM to PID 1 (still running; killing it)"
else
  rc="$(P inspect -f '{{.State.ExitCode}}' "${NAME}")"
  check "SIGTERM to PID 1: exit code ${rc} after ${ms} ms (want 0 within ${STOP_TIMEOUT} s)" test "${rc}" == 0
  check "the log says it shut down on SIGTERM" bash -c 'grep -q "\"signal\":\"SIGTERM\"" <<<"$1"' _ "$(P logs "${NAME}" 2>&1)"
fi

if (( failed )); then
  echo "--- last log lines of ${NAME}:"
  P logs "${NAME}" 2>&1 | tail -n 20
  echo "RESULT: FAIL"
  exit 1
fi
echo "RESULT: PASS"
