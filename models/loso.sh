#!/usr/bin/env bash
# Leave-one-source-out evaluation (models/README.md, "Leave-one-source-out"): for each source, retrain the
# forecaster without any row of it (models/pipeline/loso.py, written under models/.loso/, not committed), score that
# model and the shipped one on the source's held-out segments with bench:forecast (the code of the held-out tables),
# and collect both into models/loso-results.json. The control (the same configuration trained on every source,
# models/.loso/none) is trained first and scored on every source too.
# Usage: bash models/loso.sh [--skip-train] [SOURCE ...]   (npm run model:loso; default: every source)
# LOSO_BENCHES (default "loso full control") picks which models the bench scores; bench:autoscale also runs with
# the left-out model (NASA's held-out segment; for the other sources every series' held-out rows at its own step,
# pooled: --source; a few minutes per source; LOSO_AUTOSCALE=0 skips it).
set -euo pipefail
cd "$(dirname "$0")"
SOURCES=(nasa realAWSCloudwatch realKnownCause artificialWithAnomaly synthetic)
train=1
picked=()
for a in "$@"; do
  case "$a" in
    --skip-train) train=0 ;;
    -*) echo "unknown option: $a" >&2; exit 2 ;;
    *) picked+=("$a") ;;
  esac
done
(( ${#picked[@]} > 0 )) || picked=("${SOURCES[@]}")
PY="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
(cd .. && npm run -s build:bench)
if (( train )); then
  .venv/bin/python -m pipeline.loso --source none
fi
for s in "${picked[@]}"; do
  out=".loso/$s"
  if (( train )); then
    .venv/bin/python -m pipeline.loso --source "$s"
  elif [[ ! -f "$out/foresight-forecaster.onnx" ]]; then
    echo "$out/foresight-forecaster.onnx missing: run without --skip-train" >&2; exit 1
  fi
  extra=()
  if [[ "$s" == synthetic ]]; then
    [[ -f .loso/synthetic-data/split.json ]] || .venv/bin/python -m pipeline.loso --source synthetic --write-synthetic-only
    extra=(--split .loso/synthetic-data/split.json --data-dir .loso/synthetic-data)
  fi
  for which in ${LOSO_BENCHES:-loso full control}; do
    model=()
    [[ "$which" == loso ]] && model=(--model "$out/foresight-forecaster.onnx")
    if [[ "$which" == control ]]; then
      [[ -f .loso/none/foresight-forecaster.onnx ]] || { echo "no control model (.loso/none): skipped"; continue; }
      model=(--model .loso/none/foresight-forecaster.onnx)
    fi
    start=$(date +%s)
    node ../dist-bench/bench/forecast.js --source "$s" "${model[@]}" "${extra[@]}" --json "$out/$which.json" > "$out/bench-$which.txt"
    echo "$s: bench:forecast ($which model) $(( $(date +%s) - start ))s, load $(cut -d' ' -f1-3 /proc/loadavg); output $out/bench-$which.txt"
  done
  # The autoscaling frontier with the left-out model: NASA's held-out segment as bench:autoscale's own run, the
  # other sources' series each at its own step with the minutes pooled (--source).
  if [[ "${LOSO_AUTOSCALE:-1}" == 1 ]]; then
    start=$(date +%s)
    if [[ "$s" == nasa ]]; then
      node ../dist-bench/bench/autoscale.js --no-charts --model "$out/foresight-forecaster.onnx" > "$out/bench-autoscale.txt"
    else
      node ../dist-bench/bench/autoscale.js --source "$s" --model "$out/foresight-forecaster.onnx" "${extra[@]}" > "$out/bench-autoscale.txt"
    fi
    echo "$s: bench:autoscale (loso model) $(( $(date +%s) - start ))s, load $(cut -d' ' -f1-3 /proc/loadavg); output $out/bench-autoscale.txt"
  fi
done
.venv/bin/python -m pipeline.loso --report
