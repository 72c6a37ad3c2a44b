#!/usr/bin/env bash
# Smoke checks of a cluster started by hack/cluster-up.sh. Usage: verify-cluster.sh <kubeconfig> [nodes]
# Every wait is bounded; the first failing check exits non-zero with a message.
set -Eeuo pipefail
trap 'rc=$?; printf "[%s] ERROR: %s line %d: command failed (exit %d): %s\n" "$(date -u +%H:%M:%S)" "${BASH_SOURCE[0]##*/}" "${LINENO}" "${rc}" "${BASH_COMMAND}" >&2' ERR
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=common.sh
source "${HACK_DIR}/lib/common.sh"

KC="${1:?usage: verify-cluster.sh <kubeconfig> [nodes]}"
WANT_NODES="${2:-2}"
KUBECTL="${KUBECTL:-kubectl}"
NS="foresight-smoke-$$"
k() { "${KUBECTL}" --kubeconfig "${KC}" --request-timeout=20s "$@"; }

cleanup() { k delete namespace "${NS}" --wait=false --ignore-not-found >/dev/null 2>&1 || true; }
trap cleanup EXIT


# 1. Version: the built binaries, not 0.0.0.
v="$(k version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"
[[ "${v}" == "${K8S_VERSION}" ]] || die "server version is ${v}, expected ${K8S_VERSION}"
ok "server version ${v}"

# 2. Nodes: the requested number of Ready kwok nodes.
nodes_ready() {
  local n
  n="$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')"
  [[ "${n}" -ge "${WANT_NODES}" ]]
}
wait_for 120 "${WANT_NODES} Ready kwok nodes" nodes_ready
ok "$(k get nodes -l type=kwok --no-headers | wc -l) kwok nodes Ready"

# 3. Discovery, including the aggregation layer's apiregistration group.
k get --raw /apis | grep -q '"apiregistration.k8s.io"' || die "/apis does not list apiregistration.k8s.io"
k get --raw /apis/autoscaling/v2 | grep -q '"horizontalpodautoscalers"' || die "autoscaling/v2 is not served"
ok "/apis discovery"

# 4. Aggregation layer configuration published for extension API servers.
cm() { k -n kube-system get configmap extension-apiserver-authentication -o "jsonpath={.data.$1}"; }
wait_for 60 "configmap kube-system/extension-apiserver-authentication" \
  k -n kube-system get configmap extension-apiserver-authentication
[[ "$(cm requestheader-client-ca-file)" == *"BEGIN CERTIFICATE"* ]] || die "requestheader-client-ca-file is not published"
[[ "$(cm requestheader-allowed-names)" == *front-proxy-client* ]] || die "requestheader-allowed-names is not published"
[[ "$(cm requestheader-username-headers)" == *X-Remote-User* ]] || die "requestheader-username-headers is not published"
[[ "$(cm client-ca-file)" == *"BEGIN CERTIFICATE"* ]] || die "client-ca-file is not published"
ok "extension-apiserver-authentication has requestheader-client-ca-file, allowed names, headers"

# 5. Workloads: a Deployment's pods are scheduled on kwok nodes and become Running.
k create namespace "${NS}" >/dev/null
wait_for 60 "the default service account in ${NS}" k -n "${NS}" get serviceaccount default
k -n "${NS}" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: smoke
spec:
  replicas: 2
  selector:
    matchLabels: {app: smoke}
  template:
    metadata:
      labels: {app: smoke}
    spec:
      containers:
      - name: app
        image: foresight/smoke:never-pulled
EOF
k -n "${NS}" rollout status deployment/smoke --timeout=120s >/dev/null ||
  die "deployment smoke did not become available within 120s: $(k -n "${NS}" get pods -o wide 2>&1)"
pods_running() {
  local phases
  phases="$(k -n "${NS}" get pods -l app=smoke -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}')"
  [[ "$(grep -c '^Running$' <<<"${phases}")" -eq 2 ]]
}
wait_for 60 "2 Running smoke pods" pods_running
ok "deployment pods Running: $(k -n "${NS}" get pods -l app=smoke -o jsonpath='{range .items[*]}{.metadata.name}@{.spec.nodeName}={.status.podIP} {end}')"

# 6. HPA: the object is accepted and the HPA controller (short sync period) reconciles it. No external
# metrics API is registered yet, so the expected condition is ScalingActive=False/FailedGetExternalMetric.
k -n "${NS}" apply -f - >/dev/null <<EOF
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: smoke
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: smoke}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: External
    external:
      metric:
        name: foresight_smoke
        selector: {matchLabels: {app: smoke}}
      target: {type: AverageValue, averageValue: "1"}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 0}
EOF
hpa_reconciled() {
  k -n "${NS}" get hpa smoke -o jsonpath='{.status.conditions[?(@.type=="ScalingActive")].reason}' | grep -q .
}
wait_for 60 "the HPA controller to reconcile the smoke HPA" hpa_reconciled
ok "HPA reconciled: ScalingActive reason $(k -n "${NS}" get hpa smoke -o jsonpath='{.status.conditions[?(@.type=="ScalingActive")].reason}')"

log "all smoke checks passed"
