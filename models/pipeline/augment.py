"""Augmentation: synthetic series and per-batch transforms (all driven by a seeded numpy Generator)."""
import numpy as np

from .data import Series, origins


def synthetic_series(rng: np.random.Generator, count: int = 24, length: int = 6048) -> list[Series]:
    """Daily/weekly-seasonal load curves at a 5-minute step (day = 288) with trend, level shifts,
    bursts, and Poisson or Gaussian noise. Split like the real series (70 % train, 70-80 % validation)."""
    out = []
    t = np.arange(length)
    for i in range(count):
        pd, pw = 288, 2016
        base = rng.uniform(5, 500)
        amp = rng.uniform(0, 0.8)
        phase = rng.uniform(0, 2 * np.pi)
        daily = np.sin(2 * np.pi * t / pd + phase) + rng.uniform(0, 0.5) * np.sin(4 * np.pi * t / pd + 2 * phase)
        weekly = np.where((t // pd) % 7 >= 5, -rng.uniform(0, 0.5), 0.0)
        trend = rng.uniform(-0.3, 0.3) * t / length
        shifts = np.zeros(length)
        for _ in range(rng.integers(0, 3)):
            shifts[rng.integers(0, length):] += rng.uniform(-0.4, 0.4)
        bursts = np.zeros(length)
        for _ in range(rng.integers(0, 6)):
            s0, ln = rng.integers(0, length), rng.integers(3, 60)
            bursts[s0:s0 + ln] += rng.uniform(0.3, 2.0) * np.exp(-np.arange(min(ln, length - s0)) / max(ln / 3, 1))
        mean = base * np.clip(1 + amp * daily + weekly + trend + shifts + bursts, 0.02, None)
        if rng.random() < 0.5:
            v = rng.poisson(mean).astype(np.float64)
        else:
            v = np.clip(mean + rng.standard_normal(length) * rng.uniform(0.01, 0.15) * base, 0, None)
        s = Series(f"synthetic/{i}", "synthetic", v, np.ones(length, bool), pd, pw,
                   int(0.7 * length), int(0.8 * length), False)
        origins(s)
        out.append(s)
    return out


def augment_batch(rng: np.random.Generator, recent, seas, mask, target, p: dict):
    """In-place style augmentation of a gathered batch (raw units, float64)."""
    B = len(recent)
    # 1) seasonal-row dropout: the model must work with 0, 1 or 2 rows
    drop = rng.random((B, 2)) < np.array([p["drop_day"], p["drop_week"]])
    mask = np.where(drop, 0.0, mask)
    seas = seas * mask[:, :, None]
    # 2) random scaling (model is scale-free up to its epsilons; keeps it honest about that)
    sc = np.where(rng.random(B) < p["scale_prob"], np.exp(rng.uniform(-3, 3, B)), 1.0)
    recent, seas, target = recent * sc[:, None], seas * sc[:, None, None], target * sc[:, None]
    # 3) additive noise on the whole window (series that is noisier than the source)
    std = recent.std(1) + 1e-9
    nz = (rng.random(B) < p["noise_prob"]) * rng.uniform(0, 0.3, B) * std
    recent = recent + rng.standard_normal(recent.shape) * nz[:, None]
    target = target + rng.standard_normal(target.shape) * nz[:, None]
    seas = seas + rng.standard_normal(seas.shape) * nz[:, None, None] * mask[:, :, None]
    # 4) synthetic bursts starting inside the recent window, continuing into the targets
    bmask = rng.random(B) < p["burst_prob"]
    if bmask.any():
        idx = np.nonzero(bmask)[0]
        amp = rng.uniform(2, 8, len(idx)) * (std[idx] + 0.05 * np.abs(recent[idx]).mean(1))
        start = rng.integers(5, 60, len(idx))  # position in the 90-step recent+target axis
        length = rng.integers(3, 45, len(idx))
        pos = np.arange(90)[None, :]
        on = (pos >= start[:, None]) & (pos < (start + length)[:, None])
        shape = on * amp[:, None]
        recent[idx] += shape[:, :60]
        target[idx] += shape[:, 60:]
    return recent, seas, mask, target
