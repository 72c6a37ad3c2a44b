#!/usr/bin/env bash
# Start a local Kubernetes cluster (real etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# built from source by hack/build-control-plane.sh) with simulated kwok nodes, fully offline and on
# 127.0.0.1 only. Prints the kubeconfig path (and the Prometheus URL) at the end.
#
# Environment:
#   FORESIGHT_E2E_DIR        state directory (default /tmp/foresight-e2e); kubeconfig at $FORESIGHT_E2E_DIR/kubeconfig
#   FORESIGHT_CLUSTER_NAME   kwokctl cluster name (default foresight-e2e)
#   FORESIGHT_NODES          number of kwok nodes (default 2)
#   FORESIGHT_APISERVER_PORT kube-apiserver port on 127.0.0.1 (default: a free port)
#   FORESIGHT_HPA_SYNC       --horizontal-pod-autoscaler-sync-period (default 2s)
#   FORESIGHT_UP_TIMEOUT     seconds to wait for the control plane (default 300)
#   FORESIGHT_KCM_SA_CREDENTIALS  kube-controller-manager --use-service-account-credentials (default true)
#   FORESIGHT_SKIP_VERIFY=1  skip the smoke checks (hack/lib/verify-cluster.sh, hack/lib/verify-aggregation.sh)
#   FORESIGHT_CLUSTER_PROMETHEUS=0  start no Prometheus (default: Debian's, with backfilled NASA-trace history)
#   FORESIGHT_PROMETHEUS_DAYS days of backfilled history (default 2); FORESIGHT_PROMETHEUS_PORT (default: a free port)
#   plus the version/cache variables of hack/lib/common.sh.
set -Eeuo pipefail
trap 'rc=$?; printf "[%s] ERROR: %s line %d: command failed (exit %d): %s\n" "$(date -u +%H:%M:%S)" "${BASH_SOURCE[0]##*/}" "${LINENO}" "${rc}" "${BASH_COMMAND}" >&2' ERR
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"
# shellcheck source=lib/pki.sh
source "${HACK_DIR}/lib/pki.sh"

CLUSTER_NAME="${FORESIGHT_CLUSTER_NAME:-foresight-e2e}"
NODES="${FORESIGHT_NODES:-2}"
HPA_SYNC="${FORESIGHT_HPA_SYNC:-2s}"
UP_TIMEOUT="${FORESIGHT_UP_TIMEOUT:-300}"
KCM_SA_CREDENTIALS="${FORESIGHT_KCM_SA_CREDENTIALS:-true}"
KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
[[ -x "${KUBECTL}" ]] || die "kubectl not found (set KUBECTL=/path/to/kubectl)"

# kwokctl keeps its clusters, pids and logs under $KWOK_WORKDIR (not ~/.kwok).
export KWOK_WORKDIR="${FORESIGHT_E2E_DIR}/kwok"
CLUSTER_DIR="${KWOK_WORKDIR}/clusters/${CLUSTER_NAME}"
PKI_DIR="${FORESIGHT_E2E_DIR}/pki"
CONFIG_FILE="${FORESIGHT_E2E_DIR}/kwokctl.yaml"

# 1. Binaries (no-op when cached).
"${HACK_DIR}/build-control-plane.sh" >/dev/null
KWOKCTL="${KWOK_BIN}/kwokctl"

# 2. Already running? Then just report it; stale state is cleaned up first.
if [[ -d "${CLUSTER_DIR}" ]]; then
  if [[ -f "${KUBECONFIG_PATH}" ]] &&
    "${KUBECTL}" --kubeconfig "${KUBECONFIG_PATH}" --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
    log "cluster ${CLUSTER_NAME} is already running"
    echo "KUBECONFIG=${KUBECONFIG_PATH}"
    prom_url="$(sed -n 's/^FORESIGHT_PROMETHEUS_URL=//p' "${FORESIGHT_E2E_DIR}/cluster.env" 2>/dev/null || true)"
    if [[ -n "${prom_url}" ]]; then echo "PROMETHEUS=${prom_url}"; fi
    exit 0
  fi
  log "stale cluster state in ${FORESIGHT_E2E_DIR}: cleaning up"
  "${HACK_DIR}/cluster-down.sh"
fi
if [[ -n "${FORESIGHT_APISERVER_PORT:-}" ]] && (exec 3<>"/dev/tcp/127.0.0.1/${FORESIGHT_APISERVER_PORT}") 2>/dev/null; then
  die "127.0.0.1:${FORESIGHT_APISERVER_PORT} is already in use (FORESIGHT_APISERVER_PORT); pick another port or unset it"
fi

mkdir -p "${FORESIGHT_E2E_DIR}"

on_fail() {
  local rc=$?
  [[ ${rc} -eq 0 ]] && return
  log "cluster-up failed (exit ${rc}); component logs: ${CLUSTER_DIR}/logs/"
  local f first
  for f in "${CLUSTER_DIR}"/logs/*.log; do
    [[ -f "${f}" ]] || continue
    echo "---- ${f}" >&2
    # The first fatal line is usually the cause (e.g. "bind: address already in use"), then the last lines.
    first="$(grep -m1 -E 'command failed|Execute exit|^F[0-9]{4} |panic:' "${f}" || true)"
    [[ -n "${first}" ]] && echo "first fatal: ${first:0:400}" >&2
    tail -n 5 "${f}" | cut -c1-300 >&2
  done
  log "run hack/cluster-down.sh to remove the partial cluster"
}
trap on_fail EXIT

# 3. Front-proxy PKI for the aggregation layer.
make_front_proxy_pki "${PKI_DIR}"

# 4. kwokctl configuration: binary runtime, local binaries only, loopback only.
port_line=""
[[ -n "${FORESIGHT_APISERVER_PORT:-}" ]] && port_line="  kubeApiserverPort: ${FORESIGHT_APISERVER_PORT}"
cat >"${CONFIG_FILE}" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  quietPull: true
  cacheDir: ${KWOK_WORKDIR}/cache
  kubeVersion: ${K8S_VERSION}
  etcdVersion: ${ETCD_VERSION#v}
  kwokVersion: ${KWOK_VERSION}
  kubeApiserverBinary: ${K8S_BIN}/kube-apiserver
  kubeControllerManagerBinary: ${K8S_BIN}/kube-controller-manager
  kubeSchedulerBinary: ${K8S_BIN}/kube-scheduler
  etcdBinary: ${ETCD_BIN}/etcd
  kwokControllerBinary: ${KWOK_BIN}/kwok
  kubectlBinary: ${KUBECTL}
${port_line}
componentsPatches:
- name: kube-apiserver
  extraArgs:
  # Aggregation layer: kube-apiserver authenticates to APIService backends with the front-proxy client
  # certificate and passes the user in X-Remote-* headers; published in
  # kube-system/extension-apiserver-authentication for the backends.
  - key: requestheader-client-ca-file
    value: ${PKI_DIR}/front-proxy-ca.crt
  - key: requestheader-allowed-names
    value: ${FRONT_PROXY_CLIENT_CN}
  - key: requestheader-username-headers
    value: X-Remote-User
  - key: requestheader-group-headers
    value: X-Remote-Group
  - key: requestheader-extra-headers-prefix
    value: X-Remote-Extra-
  - key: proxy-client-cert-file
    value: ${PKI_DIR}/front-proxy-client.crt
    override: true
  - key: proxy-client-key-file
    value: ${PKI_DIR}/front-proxy-client.key
    override: true
- name: kube-controller-manager
  extraArgs:
  - key: horizontal-pod-autoscaler-sync-period
    value: ${HPA_SYNC}
  # Each controller uses its own service account (as on kubeadm clusters): the HPA controller calls the
  # metrics APIs as system:serviceaccount:kube-system:horizontal-pod-autoscaler, so RBAC is exercised.
  - key: use-service-account-credentials
    value: "${KCM_SA_CREDENTIALS}"
EOF

# 5. Create the cluster.
log "creating cluster ${CLUSTER_NAME} (kubernetes ${K8S_VERSION}, etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION}) in ${FORESIGHT_E2E_DIR}"
rm -f "${KUBECONFIG_PATH}"
"${KWOKCTL}" --config "${CONFIG_FILE}" create cluster --name "${CLUSTER_NAME}" \
  --kubeconfig "${KUBECONFIG_PATH}" --timeout "${UP_TIMEOUT}s" --wait "${UP_TIMEOUT}s" \
  >"${FORESIGHT_E2E_DIR}/kwokctl-create.log" 2>&1 || {
  tail -n 30 "${FORESIGHT_E2E_DIR}/kwokctl-create.log" >&2
  die "kwokctl create cluster failed (log: ${FORESIGHT_E2E_DIR}/kwokctl-create.log)"
}
[[ -s "${KUBECONFIG_PATH}" ]] || die "kwokctl did not write ${KUBECONFIG_PATH}"
chmod 0600 "${KUBECONFIG_PATH}"
k() { "${KUBECTL}" --kubeconfig "${KUBECONFIG_PATH}" --request-timeout=20s "$@"; }

server="$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
case "${server}" in
  https://127.0.0.1:*) ;;
  *) die "unexpected API server address in the kubeconfig: ${server}" ;;
esac

# 6. Nodes.
log "adding ${NODES} kwok nodes"
# Node InternalIPs on loopback (127.0.0.1, 127.0.0.2, ...) instead of kwokctl's default 192.0.2.x, so that
# anything kube-apiserver sends to a "kubelet" (logs, exec) stays on the loopback interface.
"${KWOKCTL}" --name "${CLUSTER_NAME}" scale node --replicas "${NODES}" --param '.nodeIPs=["127.0.0.1"]' >>"${FORESIGHT_E2E_DIR}/kwokctl-create.log" 2>&1 ||
  die "kwokctl scale node failed (log: ${FORESIGHT_E2E_DIR}/kwokctl-create.log)"
k wait --for=condition=Ready node --all --timeout=120s >/dev/null ||
  die "kwok nodes did not become Ready within 120s"

# 7. Smoke checks.
if [[ "${FORESIGHT_SKIP_VERIFY:-0}" != 1 ]]; then
  KUBECTL="${KUBECTL}" "${HACK_DIR}/lib/verify-cluster.sh" "${KUBECONFIG_PATH}" "${NODES}"
  KUBECTL="${KUBECTL}" "${HACK_DIR}/lib/verify-aggregation.sh" "${KUBECONFIG_PATH}"
fi

# 8. Prometheus (Debian's) with real backfilled history, unless the caller runs its own (the e2e suite and the demo
# do: FORESIGHT_CLUSTER_PROMETHEUS=0). The replay exporter (hack/replay-exporter.ts), scraped every 15 s, continues
# the backfilled series live, so that policies keep getting data after start-up. Both stopped by hack/cluster-down.sh.
prom_url=""
if [[ "${FORESIGHT_CLUSTER_PROMETHEUS:-1}" != 0 ]]; then
  command -v prometheus >/dev/null && command -v promtool >/dev/null ||
    die "prometheus and promtool are needed (Debian: apt-get install prometheus), or set FORESIGHT_CLUSTER_PROMETHEUS=0"
  prom_dir="${FORESIGHT_E2E_DIR}/prometheus"
  free_port() { node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'; }
  exporter_port="$(free_port)"
  log "backfilling ${FORESIGHT_PROMETHEUS_DAYS:-2} days of the NASA trace into ${prom_dir}"
  prom_json="$(timeout 300 node --import tsx "${HACK_DIR}/prometheus-history.ts" --dir "${prom_dir}" --days "${FORESIGHT_PROMETHEUS_DAYS:-2}" --exporter "127.0.0.1:${exporter_port}")" ||
    die "backfilling Prometheus failed"
  prom_tsdb="$(node -e 'console.log(JSON.parse(process.argv[1]).tsdb)' "${prom_json}")"
  prom_config="$(node -e 'console.log(JSON.parse(process.argv[1]).config)' "${prom_json}")"
  prom_replay="$(node -e 'console.log(JSON.parse(process.argv[1]).replay)' "${prom_json}")"
  setsid nohup node --import tsx "${HACK_DIR}/replay-exporter.ts" --state "${prom_replay}" --listen "127.0.0.1:${exporter_port}" \
    >"${prom_dir}/exporter.log" 2>&1 </dev/null &
  echo "$!" >"${prom_dir}/exporter.pid"
  prom_port="${FORESIGHT_PROMETHEUS_PORT:-$(free_port)}"
  setsid nohup prometheus --config.file="${prom_config}" --storage.tsdb.path="${prom_tsdb}" \
    --storage.tsdb.retention.time=60d --web.listen-address="127.0.0.1:${prom_port}" --log.level=warn \
    >"${prom_dir}/prometheus.log" 2>&1 </dev/null &
  echo "$!" >"${prom_dir}/prometheus.pid"
  prom_url="http://127.0.0.1:${prom_port}"
  for (( i = 0; i < 60; i++ )); do
    curl -fsS --max-time 2 -o /dev/null "${prom_url}/-/ready" 2>/dev/null && break
    kill -0 "$(cat "${prom_dir}/prometheus.pid")" 2>/dev/null || { tail -n 20 "${prom_dir}/prometheus.log" >&2; die "prometheus exited"; }
    sleep 1
  done
  curl -fsS --max-time 2 -o /dev/null "${prom_url}/-/ready" || die "prometheus not ready within 60 s (log: ${prom_dir}/prometheus.log)"
  log "prometheus ready at ${prom_url} (log: ${prom_dir}/prometheus.log)"
fi

# 9. Machine-readable summary for test harnesses (KEY=value lines, shell-sourceable).
cluster_ca="$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')"
cat >"${FORESIGHT_E2E_DIR}/cluster.env" <<EOF
KUBECONFIG=${KUBECONFIG_PATH}
FORESIGHT_APISERVER_URL=${server}
FORESIGHT_CLUSTER_CA=${cluster_ca}
FORESIGHT_FRONT_PROXY_CA=${PKI_DIR}/front-proxy-ca.crt
FORESIGHT_FRONT_PROXY_CLIENT_CERT=${PKI_DIR}/front-proxy-client.crt
FORESIGHT_FRONT_PROXY_CLIENT_KEY=${PKI_DIR}/front-proxy-client.key
FORESIGHT_FRONT_PROXY_ALLOWED_NAMES=${FRONT_PROXY_CLIENT_CN}
FORESIGHT_CLUSTER_LOGS=${CLUSTER_DIR}/logs
FORESIGHT_KUBERNETES_VERSION=${K8S_VERSION}
FORESIGHT_THIRD_PARTY_CRDS=${CRDS_DIR}
FORESIGHT_PROMETHEUS_URL=${prom_url}
EOF

trap - EXIT
log "cluster ${CLUSTER_NAME} is up: API server ${server}"
echo "front-proxy CA (requestheader-client-ca-file): ${PKI_DIR}/front-proxy-ca.crt"
echo "cluster CA: ${cluster_ca}"
echo "summary: ${FORESIGHT_E2E_DIR}/cluster.env"
echo "component logs: ${CLUSTER_DIR}/logs/"
echo "KUBECONFIG=${KUBECONFIG_PATH}"
if [[ -n "${prom_url}" ]]; then echo "PROMETHEUS=${prom_url}"; fi
