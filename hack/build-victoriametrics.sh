#!/usr/bin/env bash
# Build VictoriaMetrics single-node (victoria-metrics) and vmauth from the Go module
# github.com/VictoriaMetrics/VictoriaMetrics@${VICTORIAMETRICS_VERSION} into
# ${FORESIGHT_CACHE:-~/.cache/foresight}/victoriametrics-<version>/bin/ (outside the work tree).
# test/integration/stores.test.ts runs Foresight against them: a Prometheus-compatible store behind an
# authenticating proxy that requires a tenant header and a path prefix. Idempotent: when both binaries are there
# it builds nothing and prints the paths.
#
# Environment: VICTORIAMETRICS_VERSION (default v1.151.0), FORESIGHT_CACHE, FORESIGHT_BUILD_P (go build -p,
#   default 2), GOMAXPROCS (default 2).
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"

VM_VERSION="${VICTORIAMETRICS_VERSION:-v1.151.0}"
VM_DIR="${FORESIGHT_CACHE}/victoriametrics-${VM_VERSION}"
VM_BIN="${VM_DIR}/bin"
go_build_env

print_paths() {
  echo "victoria-metrics ${VM_BIN}/victoria-metrics"
  echo "vmauth           ${VM_BIN}/vmauth"
  [[ -f "${VM_DIR}/build-time.txt" ]] && echo "first build: $(cat "${VM_DIR}/build-time.txt")"
  return 0
}

# Checked before the lock and before Go is needed: a machine with the cache builds nothing and needs no Go.
if have_all "${VM_BIN}" victoria-metrics vmauth; then
  log "victoriametrics ${VM_VERSION}: cached"
  print_paths
  exit 0
fi
command -v go >/dev/null || die "go is not installed"

lock_build_cache
if have_all "${VM_BIN}" victoria-metrics vmauth; then
  log "victoriametrics ${VM_VERSION}: built by the build we waited for"
  print_paths
  exit 0
fi

logf="${VM_DIR}/build.log"
on_exit() {
  local rc=$?
  if [[ ${rc} -ne 0 && -f "${logf}" ]]; then
    echo "---- last lines of ${logf}" >&2
    tail -n 40 "${logf}" >&2
    printf '[%s] ERROR: build failed (exit %d), see %s\n' "$(date -u +%H:%M:%S)" "${rc}" "${logf}" >&2
  fi
}
trap on_exit EXIT

start=$(date +%s)
mkdir -p "${VM_DIR}"
rm -rf "${VM_BIN}.tmp"
mkdir -p "${VM_BIN}.tmp"
log "victoriametrics ${VM_VERSION}: building (log: ${logf}); this takes several minutes"
{
  echo "== build started $(date -u +%FT%TZ) go=$(go version) GOMAXPROCS=${GOMAXPROCS} -p ${BUILD_P}"
  cd "${VM_DIR}"
  # The module has no replace directives, so `go install pkg@version` builds it as released; the version is
  # stamped the way upstream's Makefile does, so `-version` names it.
  GOBIN="${VM_BIN}.tmp" polite go install -p "${BUILD_P}" -trimpath \
    -ldflags "-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=foresight-build-${VM_VERSION}" \
    "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics@${VM_VERSION}" \
    "github.com/VictoriaMetrics/VictoriaMetrics/app/vmauth@${VM_VERSION}"
  echo "== build finished after $(elapsed "${start}")"
} >"${logf}" 2>&1
have_all "${VM_BIN}.tmp" victoria-metrics vmauth || die "the build left no victoria-metrics or vmauth in ${VM_BIN}.tmp"
rm -rf "${VM_BIN}" && mv "${VM_BIN}.tmp" "${VM_BIN}"
echo "victoriametrics ${VM_VERSION}: $(elapsed "${start}") on $(date -u +%F) ($(nproc) cores, GOMAXPROCS=${GOMAXPROCS}, -p ${BUILD_P})" >"${VM_DIR}/build-time.txt"
log "victoriametrics ${VM_VERSION}: built in $(elapsed "${start}")"
print_paths
