"""Load the series named in split.json, mark invalid rows, and build origin lists for windows."""
import csv
import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

WINDOW, SEASONAL_LEN, HORIZONS, AHEAD = 60, 90, 30, 30
MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASA_EXCLUDE = [("1995-07-28 13:33:00", "1995-07-31 23:59:00"), ("1995-08-01 14:53:00", "1995-08-03 04:35:00")]


@dataclass
class Series:
    name: str
    family: str
    values: np.ndarray  # float64, NaN where invalid
    valid: np.ndarray  # bool
    period_day: int
    period_week: int
    val_start: int
    test_start: int
    wholly_heldout: bool
    train_origins: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    val_origins: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def load_split() -> dict:
    with open(os.path.join(MODELS_DIR, "split.json")) as f:
        return json.load(f)


def read_csv(path: str):
    ts, vals = [], []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            ts.append(row[0])
            vals.append(float(row[1]) if row[1].strip() != "" else np.nan)
    return ts, np.asarray(vals, dtype=np.float64)


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def window_ok(valid: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """ok[t] = all(valid[t+lo .. t+hi]) for every t (False where the range leaves the array)."""
    n = len(valid)
    bad = np.concatenate([[0], np.cumsum(~valid)])
    t = np.arange(n)
    a, b = t + lo, t + hi + 1
    inside = (a >= 0) & (b <= n)
    ok = np.zeros(n, bool)
    ok[inside] = (bad[b[inside]] - bad[a[inside]]) == 0
    return ok


def origins(s: Series) -> None:
    """Origins t: recent = t-59..t, targets = t+1..t+30."""
    ok = window_ok(s.valid, -(WINDOW - 1), AHEAD)
    t = np.arange(len(s.values))
    if s.wholly_heldout:
        s.train_origins = s.val_origins = np.zeros(0, np.int64)
        return
    s.train_origins = t[ok & (t + AHEAD < s.val_start)]
    s.val_origins = t[ok & (t + 1 >= s.val_start) & (t + AHEAD < s.test_start)]


def load_all(data_root: str | None = None, with_nasa_5min: bool = True) -> tuple[list[Series], dict]:
    split = load_split()
    # The data folder beside the checkout (README, "Data"); split.json's data_root only records where it lay.
    root = data_root or os.path.normpath(os.path.join(MODELS_DIR, "..", "..", "shared", "data"))
    out: list[Series] = []
    hashes = {}
    for f in split["files"]:
        p = os.path.join(root, f["path"])
        hashes[f["path"]] = file_sha256(p)
        ts, v = read_csv(p)
        valid = np.isfinite(v)
        if f["family"] == "nasa":
            ts_arr = np.asarray(ts)
            for a, b in NASA_EXCLUDE:
                valid &= ~((ts_arr >= a) & (ts_arr <= b))
        v = np.where(valid, v, np.nan)
        s = Series(f["path"], f["family"], v, valid, f["period_day_steps"], f["period_week_steps"],
                   f["validation_start_index"], f["heldout_start_index"], f["wholly_heldout"])
        origins(s)
        out.append(s)
        if f["family"] == "nasa" and with_nasa_5min:
            # Step-agnostic training: the same trace summed to 5-minute steps (a derived series; its split
            # boundaries are the 1-minute boundaries divided by 5, so no held-out minute is used).
            n5 = len(v) // 5
            v5 = v[: n5 * 5].reshape(n5, 5).sum(1)
            ok5 = valid[: n5 * 5].reshape(n5, 5).all(1)
            s5 = Series(f["path"] + "#sum5min", "nasa5", np.where(ok5, v5, np.nan), ok5, 288, 2016,
                        f["validation_start_index"] // 5, f["heldout_start_index"] // 5, False)
            origins(s5)
            out.append(s5)
    return out, hashes


class Store:
    """All series concatenated into one array so batches can be gathered with fancy indexing."""

    def __init__(self, series: list[Series]):
        self.series = series
        self.offsets = np.cumsum([0] + [len(s.values) for s in series])[:-1]
        self.x = np.concatenate([np.nan_to_num(s.values, nan=0.0) for s in series]).astype(np.float64)
        self.valid = np.concatenate([s.valid for s in series])
        self.sid_of = np.concatenate([np.full(len(s.values), i, np.int32) for i, s in enumerate(series)])
        self.pday = np.array([s.period_day for s in series], np.int64)
        self.pweek = np.array([s.period_week for s in series], np.int64)

    def global_origins(self, which: str) -> np.ndarray:
        parts = [self.offsets[i] + getattr(s, which + "_origins") for i, s in enumerate(self.series)]
        return np.concatenate(parts).astype(np.int64)

    def gather(self, g: np.ndarray, day_shift: np.ndarray | None = None, week_shift: np.ndarray | None = None):
        """Return recent [B,60], seasonal [B,2,90], mask [B,2], target [B,30] (float64)."""
        sid = self.sid_of[g]
        local = g - self.offsets[sid]
        rec_idx = g[:, None] + np.arange(-(WINDOW - 1), 1)[None, :]
        tgt_idx = g[:, None] + np.arange(1, AHEAD + 1)[None, :]
        recent = self.x[rec_idx]
        target = self.x[tgt_idx]
        seas = np.zeros((len(g), 2, SEASONAL_LEN))
        mask = np.zeros((len(g), 2))
        rel = np.arange(-(WINDOW - 1), AHEAD + 1)[None, :]
        for k, (per, sh) in enumerate(((self.pday[sid], day_shift), (self.pweek[sid], week_shift))):
            back = per + (0 if sh is None else sh)
            start_local = local - back - (WINDOW - 1)
            inside = start_local >= 0
            idx = np.where(inside[:, None], (g - back)[:, None] + rel, 0)
            # a row reaching t or later would hold future values: treat it as unavailable (P <= 30, e.g. hourly day)
            ok = inside & (back >= AHEAD + 1) & self.valid[idx].all(1)
            seas[:, k, :] = np.where(ok[:, None], self.x[idx], 0.0)
            mask[:, k] = ok
        return recent, seas, mask, target

    def training_hash(self) -> str:
        h = hashlib.sha256()
        h.update(self.x.tobytes())
        h.update(self.valid.tobytes())
        h.update(self.global_origins("train").tobytes())
        return h.hexdigest()
