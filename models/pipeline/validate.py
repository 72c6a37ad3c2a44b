"""Evaluate the exported ONNX file (onnxruntime, Python) on the VALIDATION segments only.

Run from models/:  .venv/bin/python -m pipeline.validate [--mask-off]
--mask-off forces seasonal_mask = 0 (and zero seasonal rows) to show the no-seasonal-context behaviour."""
import argparse
import os

import numpy as np
import onnxruntime as ort

from .data import MODELS_DIR
from .evaluate import evaluate, print_report
from .train import CFG, SEED, build_store


class OrtModel:
    def __init__(self, path: str, mask_off: bool = False):
        self.sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.mask_off = mask_off

    def forward(self, recent, seasonal, mask):
        if self.mask_off:
            mask = np.zeros_like(mask)
            seasonal = np.zeros_like(seasonal)
        return self.sess.run(["quantiles"], {"recent": recent.astype(np.float32),
                                             "seasonal": seasonal.astype(np.float32),
                                             "seasonal_mask": mask.astype(np.float32)})[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mask-off", action="store_true")
    args = ap.parse_args()
    store, _ = build_store(CFG, SEED)
    m = OrtModel(os.path.join(MODELS_DIR, "foresight-forecaster.onnx"), args.mask_off)
    print_report(evaluate(m, store))


if __name__ == "__main__":
    main()
