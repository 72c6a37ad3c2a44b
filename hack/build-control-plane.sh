#!/usr/bin/env bash
# Build a local Kubernetes control plane from source (Go modules only, no Docker):
#   kube-apiserver, kube-controller-manager, kube-scheduler  (k8s.io/kubernetes ${K8S_VERSION})
#   etcd                                                     (go.etcd.io/etcd/server/v3 ${ETCD_VERSION})
#   kwok, kwokctl                                            (sigs.k8s.io/kwok ${KWOK_VERSION})
# and fetches (does not build) the cert-manager and Prometheus Operator CRDs the e2e dry-run applies.
# into ${FORESIGHT_CACHE:-~/.cache/foresight}/<component>-<version>/bin/ (outside the work tree).
# Idempotent: when the binaries are present it builds nothing and prints the paths.
#
# Environment: K8S_VERSION, ETCD_VERSION, KWOK_VERSION, CERT_MANAGER_VERSION, PROMETHEUS_OPERATOR_VERSION, FORESIGHT_CACHE,
#   FORESIGHT_BUILD_P (go build -p, default 2; use 1 if the machine thrashes), GOMAXPROCS (default 2).
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"

go_build_env
command -v go >/dev/null || die "go is not installed"

CURRENT_LOG=""
on_exit() {
  local rc=$?
  if [[ ${rc} -ne 0 && -n "${CURRENT_LOG}" && -f "${CURRENT_LOG}" ]]; then
    echo "---- last lines of ${CURRENT_LOG}" >&2
    tail -n 40 "${CURRENT_LOG}" >&2
    printf '[%s] ERROR: build failed (exit %d), see %s\n' "$(date -u +%H:%M:%S)" "${rc}" "${CURRENT_LOG}" >&2
  fi
}
trap on_exit EXIT

# --- Kubernetes -------------------------------------------------------------------------------------
build_k8s() {
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler)
  if have_all "${K8S_BIN}" "${cmds[@]}"; then
    log "kubernetes ${K8S_VERSION}: cached"
    return 0
  fi
  local start; start=$(date +%s)
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local staging_tag="v0.${K8S_VERSION#v1.}"
  local src="${K8S_DIR}/src" logf="${K8S_DIR}/build.log"
  mkdir -p "${K8S_DIR}"
  rm -rf "${src}" "${K8S_BIN}.tmp"
  mkdir -p "${src}" "${K8S_BIN}.tmp"
  CURRENT_LOG="${logf}"
  log "kubernetes ${K8S_VERSION}: building (log: ${logf}); this takes a while on a small machine"
  {
    echo "== build started $(date -u +%FT%TZ) go=$(go version) GOMAXPROCS=${GOMAXPROCS} -p ${BUILD_P}"
    cd "${src}"
    # Throw-away wrapper module: k8s.io/kubernetes replaces its ~31 staging modules with ./staging/src/...
    # which `go install` refuses; pin each one to the published tag v0.X.Y instead.
    go mod init foresight.local/k8s-build
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    # Keep upstream's GODEBUG defaults (k8s.io/kubernetes sets `godebug default=go1.N`).
    local godebug
    godebug=$(sed -n 's/^godebug[[:space:]]\{1,\}\(default=go[0-9.]*\)[[:space:]]*$/\1/p' "${gomod}")
    [[ -n "${godebug}" ]] && go mod edit -godebug="${godebug}"
    local m n=0 missing=""
    for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/.*#\1#p' "${gomod}"); do
      go mod edit -replace="${m}=${m}@${staging_tag}"
      case "${m}" in k8s.io/sample-*) continue ;; esac # not used by the commands
      go mod download "${m}@${staging_tag}" || missing+=" ${m}"
      n=$((n + 1))
    done
    echo "pinned ${n} staging modules to ${staging_tag}"
    [[ ${n} -gt 20 ]] || { echo "too few staging modules found in ${gomod}"; exit 1; }
    [[ -z "${missing}" ]] || {
      echo "staging modules not available at ${staging_tag}:${missing}; try another K8S_VERSION"
      exit 1
    }
    polite go get "k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@${K8S_VERSION}" \
      "k8s.io/kubernetes/cmd/kube-scheduler@${K8S_VERSION}"
    echo "== modules resolved after $(elapsed "${start}")"
    local p=k8s.io/component-base/version
    local ldflags="-s -w -X ${p}.gitVersion=${K8S_VERSION} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
    ldflags+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    # Same for the legacy copy some components still read.
    local q=k8s.io/client-go/pkg/version
    ldflags+=" -X ${q}.gitVersion=${K8S_VERSION} -X ${q}.gitMajor=1 -X ${q}.gitMinor=${minor} -X ${q}.gitTreeState=clean"
    polite go build -p "${BUILD_P}" -trimpath -o "${K8S_BIN}.tmp/" -ldflags "${ldflags}" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler
    echo "== build finished $(date -u +%FT%TZ) after $(elapsed "${start}")"
  } >"${logf}" 2>&1
  CURRENT_LOG=""
  "${K8S_BIN}.tmp/kube-apiserver" --version | grep -qF "${K8S_VERSION}" ||
    die "kube-apiserver --version does not print ${K8S_VERSION}"
  rm -rf "${K8S_BIN}" && mv "${K8S_BIN}.tmp" "${K8S_BIN}"
  echo "kubernetes ${K8S_VERSION}: $(elapsed "${start}") on $(date -u +%F) ($(nproc) cores, GOMAXPROCS=${GOMAXPROCS}, -p ${BUILD_P})" \
    >"${K8S_DIR}/build-time.txt"
  log "kubernetes ${K8S_VERSION}: built in $(elapsed "${start}")"
}

# --- etcd -------------------------------------------------------------------------------------------
build_etcd() {
  if have_all "${ETCD_BIN}" etcd; then
    log "etcd ${ETCD_VERSION}: cached"
    return 0
  fi
  local start; start=$(date +%s)
  local src="${ETCD_DIR}/src" logf="${ETCD_DIR}/build.log"
  mkdir -p "${ETCD_DIR}"
  rm -rf "${src}" "${ETCD_BIN}.tmp"
  mkdir -p "${src}" "${ETCD_BIN}.tmp"
  CURRENT_LOG="${logf}"
  log "etcd ${ETCD_VERSION}: building (log: ${logf})"
  {
    cd "${src}"
    # `go install go.etcd.io/etcd/server/v3@...` is refused (its go.mod replaces sibling modules);
    # a wrapper module uses the published siblings instead.
    go mod init foresight.local/etcd-build
    polite go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    polite go build -p "${BUILD_P}" -trimpath -ldflags "-s -w" -o "${ETCD_BIN}.tmp/etcd" go.etcd.io/etcd/server/v3
    echo "== build finished after $(elapsed "${start}")"
  } >"${logf}" 2>&1
  CURRENT_LOG=""
  rm -rf "${ETCD_BIN}" && mv "${ETCD_BIN}.tmp" "${ETCD_BIN}"
  echo "etcd ${ETCD_VERSION}: $(elapsed "${start}")" >"${ETCD_DIR}/build-time.txt"
  log "etcd ${ETCD_VERSION}: built in $(elapsed "${start}")"
}

# --- kwok -------------------------------------------------------------------------------------------
build_kwok() {
  if have_all "${KWOK_BIN}" kwok kwokctl; then
    log "kwok ${KWOK_VERSION}: cached"
    return 0
  fi
  local start; start=$(date +%s)
  local logf="${KWOK_DIR}/build.log"
  mkdir -p "${KWOK_DIR}"
  rm -rf "${KWOK_BIN}.tmp"
  mkdir -p "${KWOK_BIN}.tmp"
  CURRENT_LOG="${logf}"
  log "kwok ${KWOK_VERSION}: building (log: ${logf})"
  {
    cd "${KWOK_DIR}"
    local c=sigs.k8s.io/kwok/pkg/consts
    GOBIN="${KWOK_BIN}.tmp" polite go install -p "${BUILD_P}" -trimpath \
      -ldflags "-s -w -X ${c}.KubeVersion=${K8S_VERSION#v}" \
      "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" "sigs.k8s.io/kwok/cmd/kwokctl@${KWOK_VERSION}"
    echo "== build finished after $(elapsed "${start}")"
  } >"${logf}" 2>&1
  CURRENT_LOG=""
  rm -rf "${KWOK_BIN}" && mv "${KWOK_BIN}.tmp" "${KWOK_BIN}"
  echo "kwok ${KWOK_VERSION}: $(elapsed "${start}")" >"${KWOK_DIR}/build-time.txt"
  log "kwok ${KWOK_VERSION}: built in $(elapsed "${start}")"
}

# --- third-party CRDs ---------------------------------------------------------------------------
# Only the CustomResourceDefinitions (nothing is built or run from these modules): they let kube-apiserver
# validate Certificates, Issuers, PodMonitors and PrometheusRules in a server-side dry-run.
fetch_crds() {
  if [[ -f "${CRDS_DIR}/.complete" ]]; then
    log "cert-manager ${CERT_MANAGER_VERSION} / prometheus-operator ${PROMETHEUS_OPERATOR_VERSION} CRDs: cached"
    return 0
  fi
  log "cert-manager ${CERT_MANAGER_VERSION} / prometheus-operator ${PROMETHEUS_OPERATOR_VERSION} CRDs: fetching"
  rm -rf "${CRDS_DIR}" && mkdir -p "${CRDS_DIR}"
  local cm po f
  cm=$(go mod download -json "github.com/cert-manager/cert-manager@${CERT_MANAGER_VERSION}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  po=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  for f in certificates issuers clusterissuers certificaterequests; do
    cp "${cm}/deploy/crds/cert-manager.io_${f}.yaml" "${CRDS_DIR}/"
  done
  for f in podmonitors servicemonitors prometheusrules; do
    cp "${po}/example/prometheus-operator-crd/monitoring.coreos.com_${f}.yaml" "${CRDS_DIR}/"
  done
  chmod 0644 "${CRDS_DIR}"/*.yaml
  touch "${CRDS_DIR}/.complete"
}

lock_build_cache

only="${1:-all}"
case "${only}" in
  all) fetch_crds; build_etcd; build_kwok; build_k8s ;;
  crds) fetch_crds ;;
  k8s|kubernetes) build_k8s ;;
  etcd) build_etcd ;;
  kwok) build_kwok ;;
  *) die "usage: $0 [all|kubernetes|etcd|kwok|crds]" ;;
esac

echo "kube-apiserver          ${K8S_BIN}/kube-apiserver"
echo "kube-controller-manager ${K8S_BIN}/kube-controller-manager"
echo "kube-scheduler          ${K8S_BIN}/kube-scheduler"
echo "etcd                    ${ETCD_BIN}/etcd"
echo "kwok                    ${KWOK_BIN}/kwok"
echo "kwokctl                 ${KWOK_BIN}/kwokctl"
echo "third-party CRDs        ${CRDS_DIR}"
for f in "${K8S_DIR}/build-time.txt" "${ETCD_DIR}/build-time.txt" "${KWOK_DIR}/build-time.txt"; do
  [[ -f "${f}" ]] && echo "first build: $(cat "${f}")"
done
exit 0
