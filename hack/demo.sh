#!/usr/bin/env bash
# The Foresight demo in one command: a local cluster (hack/cluster-up.sh, kwok nodes), a real Prometheus with
# backfilled history, a sample app on the host that stands in for the traffic of a kwok Deployment `web`, a load
# generator replaying the NASA 1995 trace compressed in time, and the adapter behind the aggregation layer, with
# a ForesightPolicy and an HPA that follows foresight_desired_replicas.
#
#   hack/demo.sh [up]     start everything, print what to watch (~1 min once the control plane is built)
#   hack/demo.sh down     stop everything it started and remove the cluster it started
#   hack/demo.sh status   what is running
#
# Everything listens on 127.0.0.1 only. The demo brings up its OWN cluster (state under $FORESIGHT_DEMO_DIR,
# default /tmp/foresight-demo), separate from the e2e cluster in /tmp/foresight-e2e.
#
# Environment (all optional):
#   FORESIGHT_DEMO_DIR       state: pid files, logs, Prometheus data, certificates, the cluster (/tmp/foresight-demo)
#   DEMO_MAX_RATE            requests per second at the trace's peak (50, at most 200)
#   DEMO_SPEED               trace seconds per real second (60: one trace hour per minute)
#   DEMO_DURATION            seconds the load generator runs before it stops by itself (3600)
#   DEMO_CAPACITY            capacityPerReplica of the policy, requests per second one pod serves (5)
#   DEMO_HISTORY_HOURS       hours of backfilled history (3)
#   DEMO_WAIT                seconds each wait may take before the script gives up (120)
set -Eeuo pipefail
# shellcheck disable=SC2154 # rc is assigned inside the trap string
trap 'rc=$?; printf "[%s] ERROR: %s line %d: command failed (exit %d): %s\n" "$(date -u +%H:%M:%S)" "${BASH_SOURCE[0]##*/}" "${LINENO}" "${rc}" "${BASH_COMMAND}" >&2' ERR

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "${HACK_DIR}/.." && pwd)"
STATE="${FORESIGHT_DEMO_DIR:-/tmp/foresight-demo}"
# The demo's own cluster: cluster-up/down read these (two clusters can run side by side, ports are free ones).
export FORESIGHT_E2E_DIR="${STATE}/cluster"
export FORESIGHT_CLUSTER_NAME="foresight-demo"
# The demo runs its own Prometheus (scraping the sample app), not the one cluster-up.sh would start.
export FORESIGHT_CLUSTER_PROMETHEUS=0
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"

PIDS="${STATE}/pids"
LOGS="${STATE}/logs"
KC="${KUBECONFIG_PATH}"
KUBECTL="${KUBECTL:-kubectl}"
MAX_RATE="${DEMO_MAX_RATE:-50}"
SPEED="${DEMO_SPEED:-60}"
DURATION="${DEMO_DURATION:-3600}"
CAPACITY="${DEMO_CAPACITY:-5}"
HISTORY_HOURS="${DEMO_HISTORY_HOURS:-3}"
WAIT="${DEMO_WAIT:-120}"
APISVC="v1beta1.external.metrics.k8s.io"
TSX=(node --import tsx)

k() { "${KUBECTL}" --kubeconfig "${KC}" --request-timeout=20s "$@"; }

free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'
}

# start_bg <name> <marker> <command...>: a detached process (its own session, so a Ctrl-C in this terminal does
# not reach it) with its log in $LOGS/<name>.log. The process writes its own pid before it execs the command
# (so the pid is right whatever setsid and nohup do), and the pid file also holds a marker that must appear in
# the process's command line, so `down` never signals an unrelated process that reused the pid.
start_bg() {
  local name="$1" marker="$2" pid="" i; shift 2
  rm -f "${PIDS}/${name}.pid.tmp"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid nohup sh -c 'echo "$$" >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "${PIDS}/${name}.pid.tmp" "$@" \
    >"${LOGS}/${name}.log" 2>&1 </dev/null &
  for (( i = 0; i < 100; i++ )); do
    [[ -s "${PIDS}/${name}.pid.tmp" ]] && { read -r pid <"${PIDS}/${name}.pid.tmp"; break; }
    sleep 0.1
  done
  [[ -n "${pid}" ]] || die "${name} did not start (log: ${LOGS}/${name}.log)"
  printf '%s\n%s\n' "${pid}" "${marker}" >"${PIDS}/${name}.pid"
  rm -f "${PIDS}/${name}.pid.tmp"
  log "started ${name} (pid ${pid}, log ${LOGS}/${name}.log)"
}

# The pid of a process this script started, if it is still that process.
our_pid() {
  local f="${PIDS}/$1.pid" pid="" marker="" cmd
  [[ -f "${f}" ]] || return 1
  { read -r pid || true; read -r marker || true; } <"${f}"
  [[ -n "${pid}" && -n "${marker}" && -r "/proc/${pid}/cmdline" ]] || return 1
  cmd="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)" || return 1
  [[ "${cmd}" == *"${marker}"* ]] || return 1
  echo "${pid}"
}

stop_bg() {
  local name="$1" pid i
  if pid="$(our_pid "${name}")"; then
    kill -TERM "${pid}" 2>/dev/null || true
    for (( i = 0; i < 100; i++ )); do
      [[ -e "/proc/${pid}" ]] || break
      sleep 0.1
    done
    if [[ -e "/proc/${pid}" ]]; then
      log "${name} (pid ${pid}) did not stop within 10 s: SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
    log "stopped ${name} (pid ${pid})"
  fi
  rm -f "${PIDS}/${name}.pid"
}

PROCESSES=(load app adapter prometheus)

stop_all() {
  local p
  for p in "${PROCESSES[@]}"; do stop_bg "${p}"; done
}

tail_log() { # the end of a process's log, for error messages
  [[ -f "${LOGS}/$1.log" ]] && tail -n 20 "${LOGS}/$1.log" >&2
  return 0
}

# Waits for a check, failing at once (with the log's tail) if the process it depends on exits.
wait_up() { # wait_up <seconds> <name> <what> <command...>
  local t="$1" name="$2" what="$3"; shift 3
  local deadline=$(( $(date +%s) + t ))
  while true; do
    if ! our_pid "${name}" >/dev/null; then
      tail_log "${name}"
      die "${name} exited while waiting for ${what} (log: ${LOGS}/${name}.log)"
    fi
    if "$@" >/dev/null 2>&1; then return 0; fi
    if (( $(date +%s) >= deadline )); then
      tail_log "${name}"
      die "timed out after ${t}s waiting for ${what} (log: ${LOGS}/${name}.log)"
    fi
    sleep 1
  done
}

http_ok() { curl -fsS --max-time 2 -o /dev/null "$1"; }

apiservice_available() {
  [[ "$(k get apiservice "${APISVC}" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" == True ]]
}

METRIC_PATH="/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_desired_replicas?labelSelector=foresight.dev%2Fpolicy%3Dweb"
metric_served() { k get --raw "${METRIC_PATH}" | grep -q '"value"'; }

require() {
  local c
  for c in node "${KUBECTL}" prometheus promtool openssl curl setsid base64; do
    command -v "${c}" >/dev/null || die "${c} not found (see hack/demo/README.md, Prerequisites)"
  done
  [[ -d "${REPO}/node_modules/tsx" ]] || die "node_modules missing: run npm ci first"
}

up() {
  require
  local p
  for p in "${PROCESSES[@]}"; do
    if our_pid "${p}" >/dev/null; then die "the demo is already running (${p}); hack/demo.sh down first"; fi
  done
  [[ "${MAX_RATE}" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "DEMO_MAX_RATE must be a number"
  rm -rf "${PIDS}" "${LOGS}" "${STATE}/prometheus" "${STATE}/pki" "${STATE}/adapter.yaml"
  mkdir -p "${PIDS}" "${LOGS}" "${STATE}/prometheus" "${STATE}/pki"
  # A failed start stops the processes it started; the cluster and the logs stay for a look.
  trap 'rc=$?; if (( rc != 0 )); then log "demo start failed; stopping its processes (logs: ${LOGS}; hack/demo.sh down removes the rest)"; stop_all; fi' EXIT

  # 1. The cluster.
  log "starting the demo's cluster in ${FORESIGHT_E2E_DIR} (log: ${LOGS}/cluster-up.log)"
  if ! "${HACK_DIR}/cluster-up.sh" >"${LOGS}/cluster-up.log" 2>&1; then
    tail -n 30 "${LOGS}/cluster-up.log" >&2
    die "hack/cluster-up.sh failed (log: ${LOGS}/cluster-up.log)"
  fi
  if k get apiservice "${APISVC}" >/dev/null 2>&1 &&
    [[ "$(k get apiservice "${APISVC}" -o jsonpath='{.spec.service.name}')" != foresight-adapter ]]; then
    die "APIService ${APISVC} already belongs to another backend (only one can own external.metrics.k8s.io/v1beta1)"
  fi

  local app_port prom_port adapter_port metrics_port
  app_port="$(free_port)"; prom_port="$(free_port)"; adapter_port="$(free_port)"; metrics_port="$(free_port)"

  # 2. Prometheus: history of the trace shape backfilled, then a live scrape of the app every 5 s.
  log "backfilling ${HISTORY_HOURS} h of history"
  "${TSX[@]}" "${HACK_DIR}/demo/backfill.ts" --out "${STATE}/prometheus/data" --hours "${HISTORY_HOURS}" \
    --max-rate "${MAX_RATE}" --speed "${SPEED}" --step 5 >"${LOGS}/backfill.log" 2>&1 ||
    { tail_log backfill; die "backfill failed (log: ${LOGS}/backfill.log)"; }
  cat >"${STATE}/prometheus/prometheus.yml" <<EOF
global: {scrape_interval: 5s, evaluation_interval: 5s}
scrape_configs:
  - job_name: web
    static_configs:
      # The sample app stands in for every pod of Deployment default/web.
      - targets: ['127.0.0.1:${app_port}']
        labels: {namespace: default, service: web}
EOF
  start_bg prometheus "${STATE}/prometheus" prometheus --config.file="${STATE}/prometheus/prometheus.yml" \
    --storage.tsdb.path="${STATE}/prometheus/data" --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:${prom_port}" --log.level=warn
  wait_up "${WAIT}" prometheus "Prometheus ready on 127.0.0.1:${prom_port}" http_ok "http://127.0.0.1:${prom_port}/-/ready"

  # 3. The sample app and the load generator.
  start_bg app "hack/demo/app.ts" "${TSX[@]}" "${HACK_DIR}/demo/app.ts" --port "${app_port}"
  wait_up "${WAIT}" app "the sample app on 127.0.0.1:${app_port}" http_ok "http://127.0.0.1:${app_port}/metrics"
  local max_requests
  max_requests="$(node -e 'console.log(Math.min(2000000, Math.ceil(Number(process.argv[1]) * Number(process.argv[2]))))' "${MAX_RATE}" "${DURATION}")"
  start_bg load "hack/demo/load.ts" "${TSX[@]}" "${HACK_DIR}/demo/load.ts" --target "http://127.0.0.1:${app_port}" \
    --max-rate "${MAX_RATE}" --speed "${SPEED}" --duration "${DURATION}" --max-requests "${max_requests}" --progress 15
  wait_up 30 load "the load generator's first line" grep -q 'peak' "${LOGS}/load.log"

  # 4. Serving certificate for foresight-adapter.foresight.svc (the TLS server name kube-apiserver uses for the
  # APIService's Service), from a throw-away CA.
  (
    cd "${STATE}/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -keyout ca.key -out ca.crt \
      -subj "/CN=foresight-demo-serving-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout tls.key -out tls.csr \
      -subj "/CN=foresight-adapter.foresight.svc" 2>/dev/null
    printf 'subjectAltName=DNS:foresight-adapter.foresight.svc,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >tls.ext
    openssl x509 -req -sha256 -days 2 -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -extfile tls.ext \
      -out tls.crt 2>/dev/null
  ) || die "could not create the serving certificate"

  # 5. The CRD, the namespace and the RBAC the adapter and the HPA controller need.
  k apply -f "${REPO}/deploy/base/crd.yaml" >/dev/null
  # (not through k: its per-request timeout would cut a longer wait short)
  "${KUBECTL}" --kubeconfig "${KC}" wait --for=condition=Established --timeout="${WAIT}s" crd/foresightpolicies.foresight.dev >/dev/null
  k create namespace foresight --dry-run=client -o yaml | k apply -f - >/dev/null
  k apply -f "${REPO}/deploy/base/rbac.yaml" >/dev/null

  # 6. The adapter, in kubernetes mode: delegated authn/authz against the cluster, load from Prometheus,
  # policies from the cluster. The same file drives `foresight explain`.
  cat >"${STATE}/adapter.yaml" <<EOF
listen: {host: 127.0.0.1, port: ${adapter_port}}
metrics: {host: 127.0.0.1, port: ${metrics_port}}
tls: {certFile: ${STATE}/pki/tls.crt, keyFile: ${STATE}/pki/tls.key}
auth:
  mode: kubernetes
  kubeconfig: ${KC}
  requestHeader: {allowedNames: [front-proxy-client]}
source: {kind: prometheus, url: 'http://127.0.0.1:${prom_port}'}
policies: {source: kubernetes}
engine: {refreshIntervalMs: 5000}
logLevel: info
EOF
  start_bg adapter "cmd/foresight.ts" "${TSX[@]}" "${REPO}/cmd/foresight.ts" adapter --config "${STATE}/adapter.yaml"
  wait_up "${WAIT}" adapter "the adapter ready on 127.0.0.1:${metrics_port}/readyz" http_ok "http://127.0.0.1:${metrics_port}/readyz"

  # 7. The aggregation layer: APIService -> ExternalName Service -> 127.0.0.1:<adapter port>.
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: foresight-adapter, namespace: foresight}
spec: {type: ExternalName, externalName: 127.0.0.1}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: ${APISVC}}
spec:
  group: external.metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: foresight-adapter, namespace: foresight, port: ${adapter_port}}
  caBundle: $(base64 -w0 <"${STATE}/pki/ca.crt")
EOF
  wait_up "${WAIT}" adapter "APIService ${APISVC} Available" apiservice_available

  # 8. The workload (kwok pods: scheduled and Ready, no containers), its policy and its HPA.
  k apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "foresight/demo-web:never-pulled"}]
---
apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  load:
    # Requests per second of the whole Deployment: the sample app's counter, scraped every 5 s.
    query: 'sum(rate(http_requests_total{namespace="default",service="web"}[1m]))'
    capacityPerReplica: ${CAPACITY}
  # Time runs ${SPEED}x faster in the demo, so a short step and horizon still span hours of the trace.
  stepSeconds: 15
  horizonSeconds: 180
  minReplicas: 2
  maxReplicas: 20
  scaleDown: {stabilizationSeconds: 60, maxDecreasePercentPerMinute: 50}
  remediation: {mode: "Off"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 20
  metrics:
    - type: External
      external:
        metric:
          name: foresight_desired_replicas
          selector: {matchLabels: {foresight.dev/policy: web}}
        target: {type: AverageValue, averageValue: "1"}
  behavior:
    # Foresight already damps scale-down (policy spec.scaleDown); a second window would only add lag.
    scaleDown: {stabilizationWindowSeconds: 0}
EOF
  wait_up "${WAIT}" adapter "foresight_desired_replicas served for default/web through kube-apiserver" metric_served
  local value
  value="$(k get --raw "${METRIC_PATH}" | sed -n 's/.*"value":"\([^"]*\)".*/\1/p')"
  trap - EXIT

  cat <<EOF

Foresight demo is running (state and logs: ${STATE}). foresight_desired_replicas for default/web is ${value} now.

  export KUBECONFIG=${KC}
  kubectl get hpa web -w                    # the HPA following the forecast (the load peaks every ~$(( 86400 / SPEED / 60 )) min)
  kubectl get deployment web -w             # kwok pods, scheduled and Ready
  kubectl get fpol web                      # the policy: target, desired replicas, conditions
  kubectl get --raw '${METRIC_PATH}'
  kubectl get --raw '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_forecast_load?labelSelector=foresight.dev%2Fpolicy%3Dweb'
  node --import tsx cmd/foresight.ts explain default/web --config ${STATE}/adapter.yaml
  tail -f ${LOGS}/load.log                  # the trace time and request rate being replayed

  Prometheus  http://127.0.0.1:${prom_port}/graph?g0.expr=sum(rate(http_requests_total%5B1m%5D))&g0.range_input=1h
  sample app  http://127.0.0.1:${app_port}/metrics
  adapter     http://127.0.0.1:${metrics_port}/metrics

The load generator stops by itself after ${DURATION} s. Stop everything: hack/demo.sh down
EOF
}

down() {
  stop_all
  # The cluster under ${STATE}/cluster is always the demo's own (never the e2e one).
  if [[ -d "${FORESIGHT_E2E_DIR}" ]]; then
    log "removing the demo's cluster (${FORESIGHT_E2E_DIR})"
    mkdir -p "${LOGS}"
    "${HACK_DIR}/cluster-down.sh" >"${LOGS}/cluster-down.log" 2>&1 ||
      { tail -n 20 "${LOGS}/cluster-down.log" >&2; die "hack/cluster-down.sh failed (log: ${LOGS}/cluster-down.log)"; }
  fi
  rm -rf "${PIDS}" "${STATE}/prometheus" "${STATE}/pki"
  log "demo stopped (logs kept in ${LOGS})"
}

status() {
  local p pid
  for p in "${PROCESSES[@]}"; do
    if pid="$(our_pid "${p}")"; then echo "${p}: running (pid ${pid})"; else echo "${p}: not running"; fi
  done
  if [[ -f "${KC}" ]] && k get --raw /readyz >/dev/null 2>&1; then
    echo "cluster: up (KUBECONFIG=${KC})"
    k get hpa web 2>/dev/null || true
  else
    echo "cluster: down"
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: hack/demo.sh [up|down|status]" ;;
esac
