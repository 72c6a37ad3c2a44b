#!/usr/bin/env bash
# Reproducible training of models/foresight-forecaster.onnx (see models/README.md).
# Creates models/.venv if missing, installs pinned requirements, trains (numpy), exports ONNX,
# checks ONNX Runtime vs numpy parity, writes testvectors.json and foresight-forecaster.json.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# Fixed thread count: OpenBLAS results are reproducible for a given thread count.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}" OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
start=$(date +%s)
.venv/bin/python -m pipeline.train "$@"
echo "train.sh finished in $(( $(date +%s) - start ))s (wall clock, excluding venv setup)"
