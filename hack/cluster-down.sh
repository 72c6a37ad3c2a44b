#!/usr/bin/env bash
# Stop the cluster started by hack/cluster-up.sh and remove its state ($FORESIGHT_E2E_DIR).
# The binary cache ($FORESIGHT_CACHE) is kept.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"

CLUSTER_NAME="${FORESIGHT_CLUSTER_NAME:-foresight-e2e}"
export KWOK_WORKDIR="${FORESIGHT_E2E_DIR}/kwok"
CLUSTER_DIR="${KWOK_WORKDIR}/clusters/${CLUSTER_NAME}"
KWOKCTL="${KWOK_BIN}/kwokctl"

# Refuse to remove anything that does not look like our state directory.
case "${FORESIGHT_E2E_DIR}" in
  "" | / | "${HOME}" | "${HOME}/") die "refusing to remove FORESIGHT_E2E_DIR=${FORESIGHT_E2E_DIR}" ;;
esac

if [[ ! -d "${FORESIGHT_E2E_DIR}" ]]; then
  log "nothing to do: ${FORESIGHT_E2E_DIR} does not exist"
  exit 0
fi

if [[ -d "${CLUSTER_DIR}" && -x "${KWOKCTL}" ]]; then
  log "deleting cluster ${CLUSTER_NAME}"
  timeout 120 "${KWOKCTL}" --name "${CLUSTER_NAME}" delete cluster >/dev/null 2>&1 ||
    log "kwokctl delete cluster failed; stopping the processes from their pid files"
fi

# Whatever kwokctl left running: the processes recorded in the cluster's pid files (only those).
if [[ -d "${CLUSTER_DIR}/pids" ]]; then
  for f in "${CLUSTER_DIR}"/pids/*.pid; do
    [[ -f "${f}" ]] || continue
    pid="$(tr -dc '0-9' <"${f}")"
    [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null || continue
    log "stopping $(basename "${f}" .pid) (pid ${pid})"
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
    kill -0 "${pid}" 2>/dev/null && kill -9 "${pid}" 2>/dev/null || true
  done
fi

# The Prometheus cluster-up.sh started, if any: only if the pid is still a prometheus on our data dir.
prom_pid_file="${FORESIGHT_E2E_DIR}/prometheus/prometheus.pid"
if [[ -f "${prom_pid_file}" ]]; then
  pid="$(tr -dc '0-9' <"${prom_pid_file}")"
  if [[ -n "${pid}" && -r "/proc/${pid}/cmdline" ]] && tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -q -- "--storage.tsdb.path=${FORESIGHT_E2E_DIR}/prometheus/"; then
    log "stopping prometheus (pid ${pid})"
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
    kill -0 "${pid}" 2>/dev/null && kill -9 "${pid}" 2>/dev/null || true
  fi
fi

# Its replay exporter, likewise only if the pid is still the exporter reading our data dir.
exporter_pid_file="${FORESIGHT_E2E_DIR}/prometheus/exporter.pid"
if [[ -f "${exporter_pid_file}" ]]; then
  pid="$(tr -dc '0-9' <"${exporter_pid_file}")"
  if [[ -n "${pid}" && -r "/proc/${pid}/cmdline" ]] && tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -q -- "replay-exporter.ts --state ${FORESIGHT_E2E_DIR}/prometheus/"; then
    log "stopping the replay exporter (pid ${pid})"
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
    kill -0 "${pid}" 2>/dev/null && kill -9 "${pid}" 2>/dev/null || true
  fi
fi

rm -rf "${FORESIGHT_E2E_DIR}"
log "cluster ${CLUSTER_NAME} stopped; removed ${FORESIGHT_E2E_DIR}"
