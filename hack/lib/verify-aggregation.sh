#!/usr/bin/env bash
# Aggregation-layer smoke check of a cluster started by hack/cluster-up.sh, the path the Foresight adapter uses:
#   a local HTTPS process on 127.0.0.1 (hack/lib/fake-external-metrics.py)
#   <- APIService v1beta1.external.metrics.k8s.io (caBundle) -> Service type ExternalName, externalName 127.0.0.1
#   <- kube-apiserver proxies with the front-proxy client certificate + X-Remote-User/Group
#   <- the HPA controller reads an External metric (AverageValue) and scales a Deployment.
# Usage: verify-aggregation.sh <kubeconfig>. Removes everything it created; refuses to run when an
# APIService for external.metrics.k8s.io/v1beta1 already exists.
set -Eeuo pipefail
trap 'rc=$?; printf "[%s] ERROR: %s line %d: command failed (exit %d): %s\n" "$(date -u +%H:%M:%S)" "${BASH_SOURCE[0]##*/}" "${LINENO}" "${rc}" "${BASH_COMMAND}" >&2' ERR
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=common.sh
source "${HACK_DIR}/lib/common.sh"

KC="${1:?usage: verify-aggregation.sh <kubeconfig>}"
KUBECTL="${KUBECTL:-kubectl}"
NS="foresight-agg-$$"
SVC="foresight-smoke"
APISVC="v1beta1.external.metrics.k8s.io"
WORK="${FORESIGHT_E2E_DIR}/smoke-aggregation-$$"
PKI_DIR="${FORESIGHT_E2E_DIR}/pki"
k() { "${KUBECTL}" --kubeconfig "${KC}" --request-timeout=20s "$@"; }

k get apiservice "${APISVC}" >/dev/null 2>&1 &&
  die "APIService ${APISVC} already exists (only one backend can own external.metrics.k8s.io/v1beta1)"
[[ -f "${PKI_DIR}/front-proxy-ca.crt" ]] || die "no front-proxy CA in ${PKI_DIR} (was the cluster started by hack/cluster-up.sh?)"

SERVER_PID=""
cleanup() {
  k delete apiservice "${APISVC}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  k delete namespace "${NS}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  if [[ -n "${SERVER_PID}" ]]; then kill "${SERVER_PID}" 2>/dev/null || true; wait "${SERVER_PID}" 2>/dev/null || true; fi
  rm -rf "${WORK}"
}
trap cleanup EXIT
mkdir -p "${WORK}"

# Serving certificate for <service>.<namespace>.svc (the TLS ServerName kube-apiserver uses), from a throw-away CA.
(
  cd "${WORK}"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 1 -keyout ca.key -out ca.crt \
    -subj "/CN=foresight-smoke-serving-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout tls.key -out tls.csr -subj "/CN=${SVC}.${NS}.svc" 2>/dev/null
  printf 'subjectAltName=DNS:%s.%s.svc\nextendedKeyUsage=serverAuth\n' "${SVC}" "${NS}" >tls.ext
  openssl x509 -req -sha256 -days 1 -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -extfile tls.ext \
    -out tls.crt 2>/dev/null
) || die "could not create the serving certificate"

python3 "${HACK_DIR}/lib/fake-external-metrics.py" 0 "${WORK}/tls.crt" "${WORK}/tls.key" \
  "${PKI_DIR}/front-proxy-ca.crt" "${FRONT_PROXY_CLIENT_CN:-front-proxy-client}" 3 >"${WORK}/server.log" 2>&1 &
SERVER_PID=$!
wait_for 10 "the fake external metrics server to listen" grep -q listening "${WORK}/server.log"
PORT="$(sed -n 's/.*"listening": "127.0.0.1:\([0-9]*\)".*/\1/p' "${WORK}/server.log" | head -n1)"
[[ -n "${PORT}" ]] || die "fake external metrics server did not start: $(cat "${WORK}/server.log")"

k create namespace "${NS}" >/dev/null
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: ${SVC}, namespace: ${NS}}
spec:
  type: ExternalName
  externalName: 127.0.0.1
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: ${APISVC}}
spec:
  group: external.metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {namespace: ${NS}, name: ${SVC}, port: ${PORT}}
  caBundle: $(base64 -w0 <"${WORK}/ca.crt")
EOF
available() {
  [[ "$(k get apiservice "${APISVC}" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" == True ]]
}
wait_for 60 "APIService ${APISVC} Available (server log: ${WORK}/server.log)" available
ok "APIService ${APISVC} Available through ExternalName 127.0.0.1:${PORT}"

out="$(k get --raw "/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS}/foresight_smoke?labelSelector=app%3Dsmoke")"
[[ "${out}" == *'"value":"3"'* ]] || die "unexpected external metrics answer: ${out}"
ok "kubectl get --raw /apis/external.metrics.k8s.io/... answered through the aggregator"

k -n "${NS}" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: smoke}
spec:
  replicas: 1
  selector: {matchLabels: {app: smoke}}
  template:
    metadata: {labels: {app: smoke}}
    spec:
      containers: [{name: app, image: "foresight/smoke:never-pulled"}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: smoke}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: smoke}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: External
    external:
      metric: {name: foresight_smoke, selector: {matchLabels: {app: smoke}}}
      target: {type: AverageValue, averageValue: "1"}
EOF
scaled() { [[ "$(k -n "${NS}" get deployment smoke -o jsonpath='{.status.readyReplicas}')" == 3 ]]; }
wait_for 90 "the HPA to scale deployment smoke to 3 ready replicas (metric 3, averageValue 1)" scaled
ok "HPA scaled the deployment 1 -> 3 from the external metric"

grep -q '"cn": "front-proxy-client"' "${WORK}/server.log" || die "backend never saw the front-proxy client certificate"
# (the server may be writing a line right now: skip lines that do not parse)
users="$(python3 -c 'import json,sys
seen=set()
for line in open(sys.argv[1]):
    try:
        d=json.loads(line)
    except ValueError:
        continue
    if d.get("user"): seen.add(d["user"])
print(",".join(sorted(seen)))' "${WORK}/server.log")"
[[ -n "${users}" ]] || die "backend never saw X-Remote-User"
ok "backend authenticated kube-apiserver by the front-proxy certificate; X-Remote-User seen: ${users}"
log "aggregation smoke check passed"
