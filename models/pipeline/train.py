"""Train the Foresight forecaster, export ONNX, check parity, write test vectors and metadata.

Run from models/:  .venv/bin/python -m pipeline.train  (models/train.sh does this)."""
import argparse
import hashlib
import json
import os
import time

import numpy as np

from . import augment
from .data import MODELS_DIR, Store, load_all, load_split
from .evaluate import TARGET_FAMILIES, evaluate, print_report
from .model import MLP, Adam, CLIP_TGT, Ensemble, features

VERSION = "0.1.0"
SEED = 20260501
CFG = {
    "hidden": 256, "layers": 2, "epochs": 30, "samples_per_epoch": 120_000, "batch": 512,
    "lr": 2e-3, "lr_min": 5e-5, "weight_decay": 0.0, "quantile_weights": [1.0, 1.0, 1.0],
    "family_weights": {"nasa": 0.25, "nasa5": 0.10, "nyc_taxi": 0.10, "aws": 0.30, "known_cause": 0.12,
                       "artificial": 0.05, "synthetic": 0.08},
    "aug": {"drop_day": 0.15, "drop_week": 0.3, "scale_prob": 0.5, "noise_prob": 0.15, "burst_prob": 0.05,
            "shift_prob": 0.2, "shift_max": 3,
            "corrupt_prob": 0.1},
    "synthetic_series": 24, "members": 3, "calibrate": True,
}
AWS = ("ec2_cpu", "elb", "rds", "ec2_network", "ec2_disk", "grok", "iio")


def family_group(f: str) -> str:
    return "aws" if f in AWS else f


def sample_weights(store: Store, fam_w: dict) -> tuple[np.ndarray, np.ndarray]:
    g = store.global_origins("train")
    fams = np.array([family_group(store.series[i].family) for i in store.sid_of[g]])
    w = np.zeros(len(g))
    for f in np.unique(fams):
        sel = fams == f
        w[sel] = fam_w.get(f, 0.0) / sel.sum()
    return g, w / w.sum()


def build_store(cfg: dict, seed: int):
    series, file_hashes = load_all()
    series += augment.synthetic_series(np.random.default_rng(seed + 1), cfg["synthetic_series"])
    return Store(series), file_hashes


def train_member(cfg: dict, seed: int, store: Store, log=print):
    rng = np.random.default_rng(seed)
    g_all, w_all = sample_weights(store, cfg["family_weights"])
    model = MLP(cfg["hidden"], rng, cfg["layers"])
    opt = Adam(model.p, cfg["lr"], wd=cfg["weight_decay"])
    qw = np.asarray(cfg["quantile_weights"], np.float32)
    steps_per_epoch = cfg["samples_per_epoch"] // cfg["batch"]
    total = steps_per_epoch * cfg["epochs"]
    a = cfg["aug"]
    step = 0
    t0 = time.time()
    for ep in range(cfg["epochs"]):
        draw = rng.choice(len(g_all), size=steps_per_epoch * cfg["batch"], p=w_all)
        losses = []
        for b in range(steps_per_epoch):
            g = g_all[draw[b * cfg["batch"]:(b + 1) * cfg["batch"]]]
            B = len(g)
            sh = rng.random(B) < a["shift_prob"]
            ds = np.where(sh, rng.integers(-a["shift_max"], a["shift_max"] + 1, B), 0)
            ws = np.where(sh, rng.integers(-a["shift_max"], a["shift_max"] + 1, B), 0)
            # misaligned seasonal rows (mask still 1): the model must check a row against the recent window
            # before trusting it. Shift magnitude P/6..P/2 with random sign (rows never reach t: see gather).
            sid = store.sid_of[g]
            for k, (arr, per) in enumerate(((ds, store.pday[sid]), (ws, store.pweek[sid]))):
                bad = rng.random(B) < a["corrupt_prob"]
                mag = (rng.uniform(1 / 6, 1 / 2, B) * per).astype(np.int64)
                sign = np.where(rng.random(B) < 0.5, -1, 1)
                arr[bad] = (mag * sign)[bad]
            r, se, m, y = store.gather(g, ds, ws)
            r, se, m, y = augment.augment_batch(rng, r, se, m, y, a)
            f, loc, scale, _ = features(r, se, m)
            zt = np.clip((y.astype(np.float32) - loc) / scale, -CLIP_TGT, CLIP_TGT).astype(np.float32)
            lr = cfg["lr_min"] + 0.5 * (cfg["lr"] - cfg["lr_min"]) * (1 + np.cos(np.pi * step / total))
            loss, grads = model.loss_grad(f, zt, qw)
            opt.step(model.p, grads, lr)
            losses.append(loss)
            step += 1
        log(f"seed {seed} epoch {ep + 1}/{cfg['epochs']} loss={np.mean(losses):.4f} lr={lr:.2e} "
            f"t={time.time() - t0:.0f}s")
    return model


def fit_calibration(ens: Ensemble, store: Store, families=TARGET_FAMILIES, target=(0.1, 0.9)):
    """Spread factors c_lo, c_hi so that the mean (over the target families) validation coverage of p10 / p90
    equals 0.1 / 0.9. Uses only validation windows (never the held-out test segments)."""
    data = {}
    for i, s in enumerate(store.series):
        if s.family not in families or len(s.val_origins) == 0:
            continue
        g = store.offsets[i] + s.val_origins
        r, se, m, y = store.gather(g)
        f, loc, scale, nonneg = features(r, se, m)
        z = ens.z_uncalibrated(f)
        data.setdefault(s.family, []).append((z, loc, scale, nonneg, y))

    def coverage(c: float, k: int) -> float:
        covs = []
        for fam, items in data.items():
            hits, n = 0.0, 0
            for z, loc, scale, nonneg, y in items:
                mid = z[:, :, 1]
                zq = mid + c * (z[:, :, k] - mid)
                q = loc + scale * zq
                q = np.where(nonneg > 0, np.maximum(q, 0), q)
                hits += (y <= q).sum()
                n += y.size
            covs.append(hits / n)
        return float(np.mean(covs))

    out = []
    for k, tgt in ((0, target[0]), (2, target[1])):
        lo, hi = 0.2, 5.0
        for _ in range(40):
            c = 0.5 * (lo + hi)
            cov = coverage(c, k)
            # p10: coverage falls as c grows; p90: coverage rises as c grows
            if (cov > tgt) == (k == 0):
                lo = c
            else:
                hi = c
        out.append(round(0.5 * (lo + hi), 4))
    return out[0], out[1]


def sha256_file(p: str) -> str:
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_vectors(model, store: Store, split: dict) -> dict:
    """8 fixed windows from the held-out test segments (parity check only, no tuning)."""
    byname = {s.name: i for i, s in enumerate(store.series)}
    want = [
        ("traces/nasa_http_1995/nasa_http_requests_per_minute.csv", 0.30, None),
        ("traces/nasa_http_1995/nasa_http_requests_per_minute.csv", 0.70, [1.0, 0.0]),
        ("nab/data/realKnownCause/nyc_taxi.csv", 0.50, None),
        ("nab/data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv", 0.50, [0.0, 0.0]),
        ("nab/data/realAWSCloudwatch/elb_request_count_8c0756.csv", 0.40, None),
        ("nab/data/realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv", 0.60, [0.0, 1.0]),
        ("nab/data/artificialWithAnomaly/art_daily_flatmiddle.csv", 0.50, None),
        ("nab/data/realAWSCloudwatch/ec2_network_in_5abac7.csv", 0.80, [0.0, 0.0]),
    ]
    cases = []
    for path, frac, force in want:
        i = byname[path]
        s = store.series[i]
        t = s.test_start + int(frac * (len(s.values) - 31 - s.test_start))
        r, se, m, _ = store.gather(np.array([store.offsets[i] + t]))
        if force is not None:
            m = np.minimum(m, np.asarray(force)[None, :])
            se = se * m[:, :, None]
        q = model.forward(r, se, m)
        cases.append({"source": path, "origin_index": int(t),
                      "recent": r[0].astype(np.float32).tolist(), "seasonal": se[0].astype(np.float32).tolist(),
                      "seasonal_mask": m[0].astype(np.float32).tolist(), "expected": q[0].tolist()})
    return {"tolerance": "abs(diff) <= 1e-4 * max(1, abs(expected), max(abs(recent)))",
            "expected_from": "numpy training-framework forward (models/pipeline/model.py MLP.forward)",
            "cases": cases}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--hidden", type=int, default=None)
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--report-members", action="store_true")
    ap.add_argument("--set", action="append", default=[], help="cfg override key=json")
    args = ap.parse_args()
    cfg = json.loads(json.dumps(CFG))
    if args.epochs:
        cfg["epochs"] = args.epochs
    if args.hidden:
        cfg["hidden"] = args.hidden
    for kv in args.set:
        k, v = kv.split("=", 1)
        d = cfg
        ks = k.split(".")
        for kk in ks[:-1]:
            d = d[kk]
        d[ks[-1]] = json.loads(v)
    print("config:", json.dumps(cfg))
    t0 = time.time()
    store, file_hashes = build_store(cfg, SEED)
    members = [train_member(cfg, SEED + 1000 * k, store) for k in range(cfg["members"])]
    model = Ensemble(members)
    if cfg["calibrate"]:
        model.c_lo, model.c_hi = (np.float32(c) for c in fit_calibration(model, store))
    train_s = time.time() - t0
    print(f"training time: {train_s:.1f}s  calibration c_lo={model.c_lo} c_hi={model.c_hi}")
    rep = evaluate(model, store)
    print_report(rep)
    if cfg["members"] > 1 and args.report_members:
        for k, mem in enumerate(members):
            print(f"member {k}:")
            print_report({"per_series": [], "per_family": evaluate(Ensemble([mem]), store)["per_family"]})
    if args.no_export:
        return
    import onnx
    import onnxruntime as ort

    from .export import build_graph
    split = load_split()
    split_sha = sha256_file(os.path.join(MODELS_DIR, "split.json"))
    meta = {
        "version": VERSION, "window": 60, "seasonal_length": 90, "horizons": 30, "quantiles": "0.1,0.5,0.9",
        "input_names": "recent,seasonal,seasonal_mask", "output_names": "quantiles",
        "inputs": "recent[N,60] float32; seasonal[N,2,90] float32 (row0 = P_day back, row1 = P_week back, "
                  "values t-P-59..t-P+30); seasonal_mask[N,2] float32 (1 available, 0 not)",
        "outputs": "quantiles[N,30,3] float32: horizons t+1..t+30, quantiles 0.1,0.5,0.9, raw units, "
                   "non-decreasing along the last axis; clamped at 0 when min(recent) >= 0",
        "step_note": "step-agnostic: one step = the series' sampling step (1 min NASA, 5 min NAB, 30 min nyc_taxi); "
                     "the caller supplies seasonal rows at P_day = 86400/step and P_week = 7*86400/step steps back",
        "normalisation": "inside the graph: loc = mean(recent), scale = std(recent) + mean|diff(recent)| + "
                         "0.01*mean|recent| + 1e-6; outputs = loc + scale * z",
        "training_data_sha256": store.training_hash(),
        "input_files_and_split_sha256": hashlib.sha256(
            (json.dumps(file_hashes, sort_keys=True) + split_sha).encode()).hexdigest(),
        "split_sha256": split_sha,
        "seed": SEED,
        "opset": 17,
        "architecture": f"mean of {cfg['members']} MLPs ({cfg['layers']}x{cfg['hidden']} ReLU + linear skip, "
                        f"247 features, p50 + softplus deltas); spread calibration c_lo={float(model.c_lo)}, "
                        f"c_hi={float(model.c_hi)}",
    }
    m = build_graph(model, meta)
    onnx_path = os.path.join(MODELS_DIR, "foresight-forecaster.onnx")
    onnx.save(m, onnx_path)
    # parity: onnxruntime (python) vs numpy on validation windows of every series + the test vectors
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    g = store.global_origins("val")
    g = g[np.random.default_rng(0).choice(len(g), 4096, replace=False)]
    r, se, mk, _ = store.gather(g)
    mk[::3] = 0.0
    se = se * mk[:, :, None]
    ref = model.forward(r, se, mk)
    got = sess.run(["quantiles"], {"recent": r.astype(np.float32), "seasonal": se.astype(np.float32),
                                   "seasonal_mask": mk.astype(np.float32)})[0]
    # tolerance relative to max(1, |expected|, max|recent|): outputs are loc + scale * z in float32, so a small
    # output from a window of huge values carries the rounding error of the window's magnitude
    mag = np.maximum(np.maximum(1.0, np.abs(ref)), np.abs(r).max(1)[:, None, None])
    rel = np.abs(got - ref) / mag
    print(f"parity onnxruntime vs numpy: max scaled diff {rel.max():.3e} over {ref.size} values "
          f"(plain max abs diff {np.abs(got - ref).max():.3e}, "
          f"max |diff|/max(1,|expected|) {(np.abs(got - ref) / np.maximum(1.0, np.abs(ref))).max():.3e})")
    assert rel.max() <= 1e-4, "ONNX parity failed"
    assert (np.diff(got, axis=2) >= 0).all(), "quantiles not monotone"
    tv = test_vectors(model, store, split)
    for c in tv["cases"]:
        o = sess.run(["quantiles"], {"recent": np.asarray([c["recent"]], np.float32),
                                     "seasonal": np.asarray([c["seasonal"]], np.float32),
                                     "seasonal_mask": np.asarray([c["seasonal_mask"]], np.float32)})[0]
        e = np.asarray(c["expected"])
        mag = np.maximum(np.maximum(1.0, np.abs(e)), np.abs(np.asarray(c["recent"])).max())
        assert (np.abs(o[0] - e) <= 1e-4 * mag).all()
    with open(os.path.join(MODELS_DIR, "testvectors.json"), "w") as f:
        json.dump(tv, f)
    meta_json = dict(meta)
    meta_json.update({"onnx_file": "foresight-forecaster.onnx", "onnx_sha256": sha256_file(onnx_path),
                      "onnx_bytes": os.path.getsize(onnx_path), "input_file_sha256": file_hashes,
                      "training_config": cfg, "training_seconds": round(train_s, 1),
                      "parity_max_scaled_diff_python_ort": float(rel.max()),
                      "validation": {"note": "validation segment [validation_start_index, heldout_start_index), "
                                             "h=5 MAE ratio to best of last/snaive_day/holt_winters/fft "
                                             "(numpy versions in pipeline/baselines.py)",
                                     "per_family": rep["per_family"], "per_series": rep["per_series"]}})
    with open(os.path.join(MODELS_DIR, "foresight-forecaster.json"), "w") as f:
        json.dump(meta_json, f, indent=2)
        f.write("\n")
    print("onnx sha256:", meta_json["onnx_sha256"], "bytes:", meta_json["onnx_bytes"])


if __name__ == "__main__":
    main()
