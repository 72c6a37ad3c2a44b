#!/usr/bin/env bash
# Build helm from its Go module (helm.sh/helm/v4 ${HELM_VERSION}) into
# ${FORESIGHT_CACHE:-~/.cache/foresight}/helm-<version>/bin/helm, outside the work tree. The chart tests
# (test/integration/helm.test.ts: helm lint, helm template) and the e2e suite's helm install use it.
# Idempotent: when the binary is present it builds nothing and prints the path.
#
# Environment: HELM_VERSION, FORESIGHT_CACHE, FORESIGHT_BUILD_P (go build -p, default 2), GOMAXPROCS (default 2).
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"

HELM_VERSION="${HELM_VERSION:-v4.3.2}"
HELM_DIR="${FORESIGHT_CACHE}/helm-${HELM_VERSION}"
HELM_BIN="${HELM_DIR}/bin"
go_build_env

build_helm() {
  if have_all "${HELM_BIN}" helm; then
    log "helm ${HELM_VERSION}: cached"
    return 0
  fi
  command -v go >/dev/null || die "go is not installed"
  local start; start=$(date +%s)
  local logf="${HELM_DIR}/build.log"
  mkdir -p "${HELM_DIR}"
  rm -rf "${HELM_BIN}.tmp"
  mkdir -p "${HELM_BIN}.tmp"
  log "helm ${HELM_VERSION}: building (log: ${logf}); about 20 minutes on 2 cores"
  if ! {
    echo "== build started $(date -u +%FT%TZ) go=$(go version) GOMAXPROCS=${GOMAXPROCS} -p ${BUILD_P}"
    cd "${HELM_DIR}"
    # helm's go.mod has no replace directives, so `go install module@version` builds it as released. The version
    # variable holds only "v4.3" in the source; its release build sets the full version through -ldflags.
    GOBIN="${HELM_BIN}.tmp" polite go install -p "${BUILD_P}" -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}" \
      "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}"
    echo "== build finished $(date -u +%FT%TZ)"
  } >"${logf}" 2>&1; then
    tail -n 40 "${logf}" >&2
    die "helm ${HELM_VERSION}: build failed, see ${logf}"
  fi
  "${HELM_BIN}.tmp/helm" version --short | grep -qF "${HELM_VERSION}" ||
    die "helm version does not print ${HELM_VERSION}"
  rm -rf "${HELM_BIN}" && mv "${HELM_BIN}.tmp" "${HELM_BIN}"
  echo "helm ${HELM_VERSION}: $(elapsed "${start}") on $(date -u +%F) ($(nproc) cores, GOMAXPROCS=${GOMAXPROCS}, -p ${BUILD_P})" \
    >"${HELM_DIR}/build-time.txt"
  log "helm ${HELM_VERSION}: built in $(elapsed "${start}")"
}

# The cache is there: nothing to build, and no need to wait for another build's lock.
if ! have_all "${HELM_BIN}" helm; then
  lock_build_cache
fi

build_helm
echo "helm                    ${HELM_BIN}/helm"
[[ -f "${HELM_DIR}/build-time.txt" ]] && echo "first build: $(cat "${HELM_DIR}/build-time.txt")"
exit 0
