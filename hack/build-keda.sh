#!/usr/bin/env bash
# Build KEDA's operator and metrics server from its Go module (github.com/kedacore/keda/v2 ${KEDA_VERSION}, no
# Docker) and copy its CRDs, into ${FORESIGHT_CACHE:-~/.cache/foresight}/keda-<version>/:
#   bin/keda           the operator (cmd/operator)
#   bin/keda-adapter   the metrics server (cmd/adapter), KEDA's external.metrics.k8s.io APIService
#   crds/*.yaml        config/crd/bases (ScaledObject, TriggerAuthentication, ...)
#   build.log  build-time.txt
# The e2e suite runs both as local processes against hack/cluster-up.sh's control plane to prove Foresight's
# external scaler behind a real KEDA. Idempotent: with the binaries present it builds nothing and prints the paths.
#
# Environment: KEDA_VERSION (default v2.21.0, the first release whose go.mod builds with Go 1.26), FORESIGHT_CACHE,
#   FORESIGHT_BUILD_P (go build -p, default 2), GOMAXPROCS (default 2).
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"

KEDA_VERSION="${KEDA_VERSION:-v2.21.0}"
KEDA_DIR="${FORESIGHT_CACHE}/keda-${KEDA_VERSION}"
KEDA_BIN="${KEDA_DIR}/bin"
go_build_env

print_paths() {
  echo "keda operator       ${KEDA_BIN}/keda"
  echo "keda metrics server ${KEDA_BIN}/keda-adapter"
  echo "keda CRDs           ${KEDA_DIR}/crds"
  [[ -f "${KEDA_DIR}/build-time.txt" ]] && echo "first build: $(cat "${KEDA_DIR}/build-time.txt")"
  return 0
}

cached() { have_all "${KEDA_BIN}" keda keda-adapter && compgen -G "${KEDA_DIR}/crds/*.yaml" >/dev/null; }

if cached; then
  log "keda ${KEDA_VERSION}: cached"
  print_paths
  exit 0
fi
command -v go >/dev/null || die "go is not installed"

lock_build_cache
if cached; then
  log "keda ${KEDA_VERSION}: cached"
  print_paths
  exit 0
fi

start=$(date +%s)
logf="${KEDA_DIR}/build.log"
src="${KEDA_DIR}/src"
mkdir -p "${KEDA_DIR}"
rm -rf "${src}" "${KEDA_BIN}.tmp" "${KEDA_DIR}/crds.tmp"
mkdir -p "${KEDA_BIN}.tmp" "${KEDA_DIR}/crds.tmp"
trap 'rc=$?; if [[ ${rc} -ne 0 ]]; then tail -n 40 "${logf}" >&2; log "ERROR: keda build failed (exit ${rc}), see ${logf}"; fi' EXIT
log "keda ${KEDA_VERSION}: building (log: ${logf}); about 30 minutes on 2 cores"
(
  echo "== build started $(date -u +%FT%TZ) go=$(go version) GOMAXPROCS=${GOMAXPROCS} -p ${BUILD_P}"
  # KEDA's go.mod has replace and exclude directives, which `go install module@version` refuses: build inside a
  # writable copy of the module instead, where it is the main module and they apply as upstream intends.
  mod=$(go mod download -json "github.com/kedacore/keda/v2@${KEDA_VERSION}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  cp -r "${mod}" "${src}"
  chmod -R u+w "${src}"
  cd "${src}"
  polite go mod download
  echo "== modules downloaded after $(elapsed "${start}")"
  ldflags="-X=github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION#v}"
  polite go build -p "${BUILD_P}" -trimpath -ldflags "${ldflags}" -o "${KEDA_BIN}.tmp/keda" ./cmd/operator
  echo "== operator built after $(elapsed "${start}")"
  polite go build -p "${BUILD_P}" -trimpath -ldflags "${ldflags}" -o "${KEDA_BIN}.tmp/keda-adapter" ./cmd/adapter
  cp config/crd/bases/*.yaml "${KEDA_DIR}/crds.tmp/"
  chmod 0644 "${KEDA_DIR}"/crds.tmp/*.yaml
  echo "== build finished $(date -u +%FT%TZ) after $(elapsed "${start}")"
) >"${logf}" 2>&1
rm -rf "${src}" "${KEDA_BIN}" "${KEDA_DIR}/crds"
mv "${KEDA_DIR}/crds.tmp" "${KEDA_DIR}/crds"
mv "${KEDA_BIN}.tmp" "${KEDA_BIN}"
echo "keda ${KEDA_VERSION}: $(elapsed "${start}") on $(date -u +%F) ($(nproc) cores, GOMAXPROCS=${GOMAXPROCS}, -p ${BUILD_P})" >"${KEDA_DIR}/build-time.txt"
log "keda ${KEDA_VERSION}: built in $(elapsed "${start}")"
print_paths
