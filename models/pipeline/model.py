"""Numpy quantile MLP: per-window normalisation, features, forward/backward, Adam, pinball loss.

The ONNX graph in export.py computes exactly `forward()` (same formulas, float32)."""
import numpy as np

from .data import HORIZONS, SEASONAL_LEN, WINDOW

QUANTILES = np.array([0.1, 0.5, 0.9], np.float32)
CLIP_IN = 20.0  # clip normalised inputs
CLIP_TGT = 50.0  # clip normalised targets in the loss
CLIP_SEAS = 5.0  # clip normalised seasonal rows (a past anomaly cannot push the forecast arbitrarily far)
CLIP_ERR = 10.0
N_FEAT = WINDOW + 2 * SEASONAL_LEN + 2 + 2 + 2 + 1


def normalise(recent: np.ndarray):
    """recent [B,60] float32 -> loc [B,1], scale [B,1]."""
    recent = recent.astype(np.float32)
    loc = recent.mean(1, keepdims=True, dtype=np.float32)
    dev = recent - loc
    std = np.sqrt((dev * dev).mean(1, keepdims=True, dtype=np.float32))
    mad = np.abs(recent[:, 1:] - recent[:, :-1]).mean(1, keepdims=True, dtype=np.float32)
    mabs = np.abs(recent).mean(1, keepdims=True, dtype=np.float32)
    scale = std + mad + np.float32(0.01) * mabs + np.float32(1e-6)
    return loc, scale, mabs


def features(recent: np.ndarray, seasonal: np.ndarray, mask: np.ndarray):
    recent = recent.astype(np.float32)
    seasonal = seasonal.astype(np.float32)
    mask = mask.astype(np.float32)
    loc, scale, mabs = normalise(recent)
    zr = np.clip((recent - loc) / scale, -CLIP_IN, CLIP_IN)
    zs = np.clip((seasonal - loc[:, :, None]) / scale[:, :, None], -CLIP_SEAS, CLIP_SEAS) * mask[:, :, None]
    rel = scale / (mabs + scale)
    nonneg = (recent.min(1, keepdims=True) >= 0).astype(np.float32)
    # how well each seasonal row's first 60 values match the recent window (0 when the row is masked)
    err = np.minimum(np.abs(zs[:, :, :WINDOW] - zr[:, None, :]).mean(2, dtype=np.float32), CLIP_ERR) * mask
    # day row vs week row agreement (0 unless both rows are available)
    both = mask[:, :1] * mask[:, 1:]
    dw = np.minimum(np.abs(zs[:, 0, :] - zs[:, 1, :]).mean(1, keepdims=True, dtype=np.float32), CLIP_ERR) * both
    f = np.concatenate([zr, zs.reshape(len(recent), -1), mask, rel, nonneg, err, dw], axis=1).astype(np.float32)
    return f, loc, scale, nonneg


def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class MLP:
    def __init__(self, hidden: int, rng: np.random.Generator, n_layers: int = 2):
        self.n_layers = n_layers
        out = HORIZONS * 3
        dims = [N_FEAT] + [hidden] * n_layers
        self.p = {}
        for i in range(n_layers):
            self.p[f"W{i}"] = (rng.standard_normal((dims[i], dims[i + 1])) * np.sqrt(2.0 / dims[i])).astype(np.float32)
            self.p[f"b{i}"] = np.zeros(dims[i + 1], np.float32)
        self.p["Wo"] = (rng.standard_normal((hidden, out)) * np.sqrt(1.0 / hidden) * 0.1).astype(np.float32)
        bo = np.zeros((HORIZONS, 3), np.float32)
        bo[:, 1:] = 0.5
        self.p["bo"] = bo.reshape(-1)
        self.p["Wl"] = np.zeros((N_FEAT, out), np.float32)

    def raw(self, f):
        acts = [f]
        h = f
        for i in range(self.n_layers):
            h = np.maximum(h @ self.p[f"W{i}"] + self.p[f"b{i}"], 0)
            acts.append(h)
        o = h @ self.p["Wo"] + self.p["bo"] + f @ self.p["Wl"]
        return o.reshape(len(f), HORIZONS, 3), acts

    @staticmethod
    def head(o):
        mid = o[:, :, 0]
        lo = mid - softplus(o[:, :, 1])
        hi = mid + softplus(o[:, :, 2])
        return np.stack([lo, mid, hi], axis=2)

    def predict_z(self, f):
        o, _ = self.raw(f)
        return self.head(o)

    def forward(self, recent, seasonal, mask):
        """Raw-unit quantiles [B,30,3] -- identical maths to the ONNX graph."""
        f, loc, scale, nonneg = features(recent, seasonal, mask)
        z = self.predict_z(f)
        q = loc[:, :, None] + scale[:, :, None] * z
        return np.where(nonneg[:, :, None] > 0, np.maximum(q, 0), q).astype(np.float32)

    def loss_grad(self, f, zt, qweights):
        """Pinball loss on normalised targets zt [B,30]; returns loss, grads."""
        B = len(f)
        o, acts = self.raw(f)
        dt = o.dtype  # float32 in training; float64 in the gradient check (pipeline/gradcheck.py)
        q = self.head(o)
        diff = zt[:, :, None] - q  # [B,30,3]
        tau = QUANTILES.astype(dt)[None, None, :]
        w = qweights[None, None, :]
        loss = float((w * np.maximum(tau * diff, (tau - 1) * diff)).sum() / (B * HORIZONS))
        dq = w * ((diff < 0).astype(dt) - tau) / (B * HORIZONS)  # dL/dq
        dlo, dmid, dhi = dq[:, :, 0], dq[:, :, 1], dq[:, :, 2]
        do = np.empty_like(o)
        do[:, :, 0] = dlo + dmid + dhi
        do[:, :, 1] = -dlo * sigmoid(o[:, :, 1])
        do[:, :, 2] = dhi * sigmoid(o[:, :, 2])
        do = do.reshape(B, -1).astype(dt)
        g = {}
        g["Wl"] = f.T @ do
        g["Wo"] = acts[-1].T @ do
        g["bo"] = do.sum(0)
        dh = do @ self.p["Wo"].T
        for i in reversed(range(self.n_layers)):
            dh = dh * (acts[i + 1] > 0)
            g[f"W{i}"] = acts[i].T @ dh
            g[f"b{i}"] = dh.sum(0)
            if i > 0:
                dh = dh @ self.p[f"W{i}"].T
        return loss, g


class Adam:
    def __init__(self, params: dict, lr: float, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, b1, b2, eps, wd
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params: dict, grads: dict, lr: float):
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        for k in params:
            g = grads[k]
            if self.wd and k.startswith("W"):
                g = g + self.wd * params[k]
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            params[k] -= (lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)).astype(np.float32)


class Ensemble:
    """Mean of the members' normalised quantiles, then a spread calibration fitted on the validation segment:
    lo = mid - c_lo * (mid - lo_raw), hi = mid + c_hi * (hi_raw - mid) (c > 0 keeps the quantiles ordered)."""

    def __init__(self, members: list, c_lo: float = 1.0, c_hi: float = 1.0):
        self.members = members
        self.c_lo, self.c_hi = np.float32(c_lo), np.float32(c_hi)

    def z_uncalibrated(self, f):
        z = self.members[0].predict_z(f)
        for m in self.members[1:]:
            z = z + m.predict_z(f)
        return z / np.float32(len(self.members))

    def calibrate(self, z):
        mid = z[:, :, 1]
        lo = mid - self.c_lo * (mid - z[:, :, 0])
        hi = mid + self.c_hi * (z[:, :, 2] - mid)
        return np.stack([lo, mid, hi], axis=2)

    def forward(self, recent, seasonal, mask):
        f, loc, scale, nonneg = features(recent, seasonal, mask)
        z = self.calibrate(self.z_uncalibrated(f))
        q = loc[:, :, None] + scale[:, :, None] * z
        return np.where(nonneg[:, :, None] > 0, np.maximum(q, 0), q).astype(np.float32)
