"""Leave-one-source-out training: the forecaster retrained without any row of one source (its training,
validation and held-out rows all left out, calibration included), written as a separate ONNX file that
`bench:forecast -- --model FILE --source SOURCE` scores on that source's held-out segments.

Run from models/:  .venv/bin/python -m pipeline.loso --source nasa   (models/loso.sh runs every source)

The configuration (LOSO_CFG) is the shipped one made smaller (one member, fewer epochs) so that every source can
be retrained in about an hour on 2 cores; it was fixed before any leave-one-source-out result was seen and is the
same for every source. The shipped model (models/foresight-forecaster.onnx) is not touched."""
import argparse
import json
import os
import time

import numpy as np

from .augment import synthetic_series
from .data import MODELS_DIR, Series, Store, load_all
from .model import Ensemble
from .train import CFG, SEED, fit_calibration, train_member

SOURCES = ("nasa", "realAWSCloudwatch", "realKnownCause", "artificialWithAnomaly", "synthetic")
# The control: the same small configuration trained on every source. Scored on each source's held-out rows, it
# separates what leaving the source out costs from what the smaller configuration costs.
CONTROL = "none"
LOSO_CFG_OVERRIDES = {"members": 1, "epochs": 10}
OUT_DIR = os.path.join(MODELS_DIR, ".loso")
SYNTHETIC_START_S = 1_767_225_600  # 2026-01-01T00:00:00Z: the synthetic series carry no dates; any fixed start does
SYNTHETIC_STEP_S = 300


def source_of(s: Series) -> str:
    """nasa (the 1-minute trace and its 5-minute sums), the NAB group, or synthetic."""
    if s.family in ("nasa", "nasa5"):
        return "nasa"
    if s.name.startswith("nab/data/"):
        return s.name.split("/")[2]
    if s.name.startswith("synthetic/"):
        return "synthetic"
    raise ValueError(f"no source for series {s.name}")


def loso_config() -> dict:
    cfg = json.loads(json.dumps(CFG))
    cfg.update(LOSO_CFG_OVERRIDES)
    return cfg


def all_series(cfg: dict) -> list[Series]:
    series, _ = load_all()
    return series + synthetic_series(np.random.default_rng(SEED + 1), cfg["synthetic_series"])


def write_synthetic(series: list[Series], out: str) -> str:
    """The synthetic series as CSV files plus a split file in split.json's format, so that the TypeScript bench
    scores them like the real ones (`--split FILE --data-dir DIR`). Held out: the same last 20 %."""
    os.makedirs(os.path.join(out, "synthetic"), exist_ok=True)
    files = []
    for s in series:
        if source_of(s) != "synthetic":
            continue
        rel = s.name + ".csv"
        with open(os.path.join(out, rel), "w") as f:
            f.write("timestamp,value\n")
            for i, v in enumerate(s.values):
                f.write(f"{SYNTHETIC_START_S + SYNTHETIC_STEP_S * i},{'' if np.isnan(v) else repr(float(v))}\n")
        files.append({"path": rel, "family": "synthetic", "rows": len(s.values), "step_seconds": SYNTHETIC_STEP_S,
                      "period_day_steps": s.period_day, "period_week_steps": s.period_week,
                      "validation_start_index": s.val_start, "heldout_start_index": s.test_start,
                      "wholly_heldout": False})
    split_path = os.path.join(out, "split.json")
    with open(split_path, "w") as f:
        json.dump({"version": 1, "note": "synthetic series of pipeline/augment.py, seed SEED + 1", "files": files}, f,
                  indent=1)
    return split_path


def train_without(source: str, out_root: str = OUT_DIR, seed: int = SEED) -> dict:
    import onnx

    from .export import build_graph
    cfg = loso_config()
    series = all_series(cfg)
    kept = [s for s in series if source_of(s) != source]
    left_out = [s.name for s in series if source_of(s) == source]
    if not left_out and source != CONTROL:
        raise SystemExit(f"source {source}: no series found")
    out = os.path.join(out_root, source)
    os.makedirs(out, exist_ok=True)
    if source == "synthetic":
        write_synthetic(series, os.path.join(out_root, "synthetic-data"))
    print(f"leave out {source}: {len(left_out)} series; train on {len(kept)} series; config {json.dumps(cfg)}")
    t0 = time.time()
    store = Store(kept)
    members = [train_member(cfg, seed + 1000 * k, store) for k in range(cfg["members"])]
    model = Ensemble(members)
    # Calibrated on the validation rows of the remaining series only (fit_calibration reads the store).
    model.c_lo, model.c_hi = (np.float32(c) for c in fit_calibration(model, store))
    train_s = time.time() - t0
    meta = {"version": "loso", "left_out_source": source, "seed": seed, "training_data_sha256": store.training_hash(),
            "architecture": f"mean of {cfg['members']} MLPs ({cfg['layers']}x{cfg['hidden']}); calibration "
                            f"c_lo={float(model.c_lo)}, c_hi={float(model.c_hi)}"}
    onnx_path = os.path.join(out, "foresight-forecaster.onnx")
    onnx.save(build_graph(model, meta), onnx_path)
    info = {"left_out_source": source, "seed": seed, "left_out_series": left_out, "training_series": len(kept),
            "training_config": cfg, "training_seconds": round(train_s, 1),
            "calibration": [float(model.c_lo), float(model.c_hi)], "onnx": onnx_path,
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "load_average_at_end": list(os.getloadavg())}
    with open(os.path.join(out, "training.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"leave out {source}: trained in {train_s:.0f}s, written {onnx_path}")
    return info


RESULTS = os.path.join(MODELS_DIR, "loso-results.json")


def report(out_root: str = OUT_DIR, results_path: str = RESULTS) -> None:
    """Collects the bench's --json files of every source trained so far into one small results file and prints
    the table of the model card: model / best of all baselines per horizon, LOSO model beside the shipped one."""
    rows = []
    for source in SOURCES:
        d = os.path.join(out_root, source)
        try:
            with open(os.path.join(d, "training.json")) as f:
                tr = json.load(f)
            with open(os.path.join(d, "loso.json")) as f:
                lo = json.load(f)
            with open(os.path.join(d, "full.json")) as f:
                full = json.load(f)
            control = None
            if os.path.exists(os.path.join(d, "control.json")):
                with open(os.path.join(d, "control.json")) as f:
                    control = json.load(f)["horizons"]
        except FileNotFoundError as e:
            print(f"{source}: not evaluated yet ({e.filename} missing)")
            continue
        ratios = [h["ratio"] for h in lo["horizons"]]
        rows.append({"source": source, "left_out_series": len(tr["left_out_series"]),
                     "evaluated_series": len(lo["series"]), "windows": lo["windows"],
                     "training_seconds": tr["training_seconds"], "load_average_at_end": tr["load_average_at_end"],
                     "training_config": {k: tr["training_config"][k] for k in ("members", "epochs", "hidden")},
                     "loso_model_sha256": lo["modelSha256"], "shipped_model_sha256": full["modelSha256"],
                     "loso": lo["horizons"], "shipped": full["horizons"], "control_same_config_all_sources": control,
                     "loso_mean_ratio": float(np.mean(ratios)),
                     "shipped_mean_ratio": float(np.mean([h["ratio"] for h in full["horizons"]])),
                     "all_ratios_at_most_1": all(r <= 1.0 for r in ratios),
                     "p90_coverage_in_band": all(0.85 <= h["p90Coverage"] <= 0.95 for h in lo["horizons"])})
    with open(results_path, "w") as f:
        json.dump({"note": "bash models/loso.sh; model/best = family-mean MASE of the model / the lowest family-mean "
                           "MASE of any baseline (bench:forecast --source)", "sources": rows}, f, indent=1)
        f.write("\n")
    print("| source | series | 5 min | 15 min | 30 min | mean ratio | p90 cov | shipped model, same rows | "
          "control (same config, all sources) |")
    print("|---|---|---|---|---|---|---|---|---|")
    cell = {5: "-", 15: "-", 30: "-"}
    for r in rows:
        c = dict(cell)
        for h in r["loso"]:
            c[h["minutes"]] = f"{h['ratio']:.3f} ({h['best']})"
        shipped = " / ".join(f"{h['ratio']:.3f}" for h in r["shipped"])
        cov = " / ".join(f"{h['p90Coverage']:.3f}" for h in r["loso"])
        ctl = "-" if r["control_same_config_all_sources"] is None else " / ".join(
            f"{h['ratio']:.3f}" for h in r["control_same_config_all_sources"])
        print(f"| {r['source']} | {r['evaluated_series']} | {c[5]} | {c[15]} | {c[30]} | {r['loso_mean_ratio']:.3f} | "
              f"{cov} | {shipped} (mean {r['shipped_mean_ratio']:.3f}) | {ctl} |")
    print(f"written {results_path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", choices=SOURCES + (CONTROL,), help=f"the source to leave out; {CONTROL}: the control")
    ap.add_argument("--report", action="store_true", help="collect the bench results into models/loso-results.json")
    ap.add_argument("--out", default=OUT_DIR, help="output root (default models/.loso, not committed)")
    # Another training seed (the data, the synthetic series and the configuration unchanged) shows how much of a
    # result is the one seed's draw; write it under another --out.
    ap.add_argument("--seed", type=int, default=SEED, help=f"training seed (default {SEED}, the shipped one)")
    ap.add_argument("--write-synthetic-only", action="store_true",
                    help="only write the synthetic series and their split (for the bench), no training")
    args = ap.parse_args()
    if args.report:
        report(args.out)
        return
    if args.source is None:
        ap.error("--source or --report is required")
    if args.write_synthetic_only:
        print(write_synthetic(all_series(loso_config()), os.path.join(args.out, "synthetic-data")))
        return
    train_without(args.source, args.out, args.seed)


if __name__ == "__main__":
    main()
