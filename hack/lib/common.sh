#!/usr/bin/env bash
# Shared settings for the hack/build-*.sh scripts, hack/cluster-up.sh and hack/cluster-down.sh.
# Source it; it only defines variables and functions.

# Versions (override through the environment).
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.5.35}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
# Third-party CRDs that deploy/overlays/production (cert-manager) and deploy/monitoring (Prometheus Operator)
# need for a server-side dry-run; fetched as Go modules, installed as CRDs only (no controllers run).
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.19.1}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"

# Binary cache, outside the work tree, keyed by version.
FORESIGHT_CACHE="${FORESIGHT_CACHE:-${HOME}/.cache/foresight}"
K8S_DIR="${FORESIGHT_CACHE}/k8s-${K8S_VERSION}"
K8S_BIN="${K8S_DIR}/bin"
ETCD_DIR="${FORESIGHT_CACHE}/etcd-${ETCD_VERSION}"
ETCD_BIN="${ETCD_DIR}/bin"
KWOK_DIR="${FORESIGHT_CACHE}/kwok-${KWOK_VERSION}"
KWOK_BIN="${KWOK_DIR}/bin"
CRDS_DIR="${FORESIGHT_CACHE}/crds-cert-manager-${CERT_MANAGER_VERSION}-prometheus-operator-${PROMETHEUS_OPERATOR_VERSION}"

# Cluster state (kubeconfig, PKI, etcd data, logs, pids).
FORESIGHT_E2E_DIR="${FORESIGHT_E2E_DIR:-/tmp/foresight-e2e}"
KUBECONFIG_PATH="${FORESIGHT_E2E_DIR}/kubeconfig"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; exit 1; }

ok() { log "ok: $*"; }

# wait_for <seconds> <description> <command...>: retry every second until the command succeeds.
wait_for() {
  local t="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + t ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || die "timed out after ${t}s waiting for ${what}"
    sleep 1
  done
}

# Run a (build) command politely on a shared machine.
polite() { GOMAXPROCS="${GOMAXPROCS:-2}" nice -n 19 "$@"; }

have_all() { # have_all dir name...
  local d="$1"; shift
  local n
  for n in "$@"; do [[ -x "${d}/${n}" ]] || return 1; done
}

# Go build settings of the build scripts: static binaries without VCS stamps, two packages at a time by default
# (a 2-core machine that also runs tests).
go_build_env() {
  BUILD_P="${FORESIGHT_BUILD_P:-2}"
  export GOMAXPROCS="${GOMAXPROCS:-2}"
  export GOFLAGS="-buildvcs=false"
  export CGO_ENABLED=0
}

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# One build at a time per cache (parallel CI jobs on one machine): the others wait, then find the cache. The lock
# is held on fd 9 until the calling script exits.
lock_build_cache() {
  mkdir -p "${FORESIGHT_CACHE}"
  command -v flock >/dev/null || return 0
  exec 9>"${FORESIGHT_CACHE}/.build.lock"
  if ! flock -n 9; then
    log "another build is running in ${FORESIGHT_CACHE}; waiting for it to finish"
    flock 9
  fi
}
