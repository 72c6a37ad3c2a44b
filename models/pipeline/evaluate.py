"""Validation-segment evaluation (never the held-out test segment): h=5 MAE vs. baselines, p90 coverage."""
import numpy as np

from .baselines import fft_forecast, holt_winters_h
from .data import Series, Store

H = 5
TARGET_FAMILIES = ("nasa", "nyc_taxi", "ec2_cpu", "elb", "rds")
_BASE_CACHE: dict = {}


def baseline_maes(s: Series, org: np.ndarray) -> dict:
    key = (s.name, len(org))
    if key in _BASE_CACHE:
        return _BASE_CACHE[key]
    x = np.nan_to_num(s.values)
    y = x[org + H]
    res = {"last": np.abs(x[org] - y).mean()}
    sidx = org + H - s.period_day
    ok = (sidx >= 0) & s.valid[np.clip(sidx, 0, None)]
    res["snaive_day"] = np.abs(np.where(ok, x[np.clip(sidx, 0, None)], x[org]) - y).mean()
    hw = holt_winters_h(x, s.valid, s.period_day, H, s.val_start)
    res["holt_winters"] = np.abs(hw[org] - y).mean()
    ff = fft_forecast(x, s.valid, s.val_start, len(x))
    res["fft"] = np.abs(ff[org + H] - y).mean()
    _BASE_CACHE[key] = res
    return res


def predict_series(model, store: Store, idx: int, org: np.ndarray, batch: int = 4096) -> np.ndarray:
    g = store.offsets[idx] + org
    outs = []
    for i in range(0, len(g), batch):
        r, se, m, _ = store.gather(g[i:i + batch])
        outs.append(model.forward(r, se, m))
    return np.concatenate(outs)


def evaluate(model, store: Store, families=TARGET_FAMILIES, with_baselines=True) -> dict:
    rows = []
    for i, s in enumerate(store.series):
        if s.family not in families or len(s.val_origins) == 0:
            continue
        org = s.val_origins
        q = predict_series(model, store, i, org)
        x = np.nan_to_num(s.values)
        tgt = x[org[:, None] + np.arange(1, 31)[None, :]]
        mae5 = np.abs(q[:, H - 1, 1] - tgt[:, H - 1]).mean()
        row = {"series": s.name, "family": s.family, "n": len(org), "model_mae5": float(mae5),
               "cov90_all": float((tgt <= q[:, :, 2]).mean()), "cov10_all": float((tgt <= q[:, :, 0]).mean()),
               "cov90_h5": float((tgt[:, H - 1] <= q[:, H - 1, 2]).mean()),
               "pinball_mean": 0.0}
        if with_baselines:
            b = baseline_maes(s, org)
            best_name = min(b, key=b.get)
            row.update({f"mae5_{k}": float(v) for k, v in b.items()})
            row["best_baseline"] = best_name
            row["ratio_to_best"] = float(mae5 / max(b[best_name], 1e-12))
        rows.append(row)
    fam = {}
    for f in families:
        rs = [r for r in rows if r["family"] == f]
        if not rs:
            continue
        fam[f] = {"series": len(rs),
                  "ratio_to_best_mean": float(np.mean([r["ratio_to_best"] for r in rs])) if with_baselines else None,
                  "cov90_all_mean": float(np.mean([r["cov90_all"] for r in rs])),
                  "cov10_all_mean": float(np.mean([r["cov10_all"] for r in rs]))}
    return {"per_series": rows, "per_family": fam}


def print_report(rep: dict) -> None:
    for r in rep["per_series"]:
        print(f"  {r['series'][-48:]:48s} ratio={r.get('ratio_to_best', float('nan')):.3f} "
              f"best={r.get('best_baseline', '-'):12s} cov90={r['cov90_all']:.3f} cov10={r['cov10_all']:.3f}")
    for f, v in rep["per_family"].items():
        print(f"  [{f}] {v}")
