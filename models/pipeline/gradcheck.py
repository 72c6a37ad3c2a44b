"""Finite-difference check of the hand-written backward pass (model.MLP.loss_grad), in float64.

Run from models/:  .venv/bin/python -m pipeline.gradcheck      (npm test runs it: test/integration/model-gradcheck.test.ts)

A small instance of the real model (the training's MLP class, its features, masks, augmentation and pinball loss,
only narrower) is evaluated on a batch built the way train.train_member builds one. For sampled entries of every
parameter tensor the analytic gradient is compared with a central difference of the loss. The loss is piecewise
smooth (ReLU, the pinball kink): an entry whose +/- step changes the sign of any ReLU input or any quantile error
is skipped and counted, since a difference across a kink measures nothing. Then the check is run on deliberately
wrong backward passes (INJECTED): each must fail, or the check could not catch such a bug and says so.
Exit 0 when the real gradients pass and every injected bug is caught; 1 otherwise, with the tensor, entry and both
values of the worst mismatch."""
import argparse
import sys

import numpy as np

from . import augment
from .data import Store
from .model import CLIP_TGT, MLP, features, sigmoid
from .train import CFG

EPS = 1e-5
# |analytic - numeric| <= RTOL * max(|analytic|, |numeric|) + ATOL. Measured in float64 on this check's instance
# (EPS 1e-5, gradients up to 9e-2): worst absolute error 3e-11 (rounding in the summed loss, divided by 2 * EPS),
# worst relative error 5e-6 on an entry of 1e-6. The bounds sit just above that floor and catch an error of 0.1 %
# in any tensor (see INJECTED).
RTOL = 1e-5
ATOL = 1e-10
ENTRIES_PER_TENSOR = 24
MAX_SKIPPED_SHARE = 0.5
SEED = 7


def training_batch(rng: np.random.Generator, batch: int = 48):
    """Features and clipped normalised targets, built as train_member builds them (gather with seasonal shifts,
    augment_batch with the training's probabilities), from synthetic series; at least one window with both
    seasonal rows, one with neither and one with only one, so every mask state is in the loss."""
    store = Store(augment.synthetic_series(np.random.default_rng(SEED), count=3, length=3 * 2016))
    g_all = store.global_origins("train")
    g = g_all[rng.choice(len(g_all), batch, replace=False)]
    shift = rng.integers(-3, 4, (2, batch))
    r, se, m, y = store.gather(g, shift[0], shift[1])
    r, se, m, y = augment.augment_batch(rng, r, se, m, y, CFG["aug"])
    m[0] = (1.0, 1.0)
    m[1] = (0.0, 0.0)
    m[2] = (1.0, 0.0)
    se = se * m[:, :, None]
    f, loc, scale, _ = features(r, se, m)
    zt = np.clip((y.astype(np.float32) - loc) / scale, -CLIP_TGT, CLIP_TGT)
    return f.astype(np.float64), zt.astype(np.float64)


def small_model(rng: np.random.Generator, hidden: int = 12) -> MLP:
    """The training's MLP class, narrower, in float64, with every tensor non-zero (the training's init leaves the
    skip weights and the output bias at constants, whose gradients would then be checked at one point only)."""
    m = MLP(hidden, rng, 2)
    for k, v in m.p.items():
        m.p[k] = rng.standard_normal(v.shape) * (0.3 if k.startswith("b") else 1.0 / np.sqrt(v.shape[0]))
    return m


def kink_pattern(m: MLP, f: np.ndarray, zt: np.ndarray) -> np.ndarray:
    """Signs of every ReLU input and every quantile error: the loss is smooth while these stay the same."""
    h = f
    signs = []
    for i in range(m.n_layers):
        pre = h @ m.p[f"W{i}"] + m.p[f"b{i}"]
        signs.append((pre > 0).ravel())
        h = np.maximum(pre, 0)
    o, _ = m.raw(f)
    signs.append((zt[:, :, None] - m.head(o) < 0).ravel())
    return np.concatenate(signs)


class Mismatch(Exception):
    pass


def check(m: MLP, f, zt, qw, loss_grad, rng: np.random.Generator) -> dict:
    """Compares loss_grad(m, f, zt, qw)'s gradients with central differences; raises Mismatch on the worst
    entry beyond the bound. Returns per-tensor worst relative errors and the skipped counts."""
    _, grads = loss_grad(m, f, zt, qw)
    base = kink_pattern(m, f, zt)
    report = {}
    for name in sorted(m.p):
        p = m.p[name]
        if grads[name].shape != p.shape:
            raise Mismatch(f"{name}: gradient shape {grads[name].shape} != parameter shape {p.shape}")
        flat = p.reshape(-1)
        picks = rng.choice(flat.size, min(ENTRIES_PER_TENSOR, flat.size), replace=False)
        worst, worst_abs, skipped, checked = 0.0, 0.0, 0, 0
        for j in picks:
            keep = flat[j]
            flat[j] = keep + EPS
            lp, pp = m.loss_grad(f, zt, qw)[0], kink_pattern(m, f, zt)
            flat[j] = keep - EPS
            lm, pm = m.loss_grad(f, zt, qw)[0], kink_pattern(m, f, zt)
            flat[j] = keep
            if not (np.array_equal(pp, base) and np.array_equal(pm, base)):
                skipped += 1
                continue
            num = (lp - lm) / (2 * EPS)
            ana = float(grads[name].reshape(-1)[j])
            err = abs(ana - num)
            checked += 1
            worst = max(worst, err / max(abs(ana), abs(num), 1e-300))
            worst_abs = max(worst_abs, err)
            if err > RTOL * max(abs(ana), abs(num)) + ATOL:
                idx = np.unravel_index(j, p.shape)
                raise Mismatch(f"{name}{list(map(int, idx))}: analytic {ana:.10e}, central difference {num:.10e}, "
                               f"|diff| {err:.3e} > {RTOL:g} * max(|a|, |n|) + {ATOL:g}")
        if checked == 0 or skipped > MAX_SKIPPED_SHARE * len(picks):
            raise Mismatch(f"{name}: {skipped} of {len(picks)} sampled entries sit on a kink; the check would "
                           "measure too little (use a smaller EPS)")
        report[name] = {"checked": checked, "skipped": skipped, "worst_rel": worst, "worst_abs": worst_abs,
                        "largest_grad": float(np.abs(grads[name]).max())}
    return report


def real(m: MLP, f, zt, qw):
    return m.loss_grad(f, zt, qw)


def _with(change):
    def lg(m: MLP, f, zt, qw):
        loss, g = m.loss_grad(f, zt, qw)
        change(m, f, zt, qw, g)
        return loss, g
    return lg


def _upper_without_sigmoid(m: MLP, f, zt, qw, g):
    """The p90 branch's softplus derivative left out: do[:, :, 2] = dhi instead of dhi * sigmoid(b)."""
    o, acts = m.raw(f)
    B = len(f)
    diff = zt[:, :, None] - m.head(o)
    tau = np.array([0.1, 0.5, 0.9])
    dhi = (qw[2] * ((diff[:, :, 2] < 0) - tau[2]) / (B * o.shape[1]))
    extra = np.zeros_like(o)
    extra[:, :, 2] = dhi * (1 - sigmoid(o[:, :, 2]))
    extra = extra.reshape(B, -1)
    g["Wo"] += acts[-1].T @ extra
    g["bo"] += extra.sum(0)
    g["Wl"] += f.T @ extra


INJECTED = {
    "upper-delta-without-sigmoid": _with(_upper_without_sigmoid),
    "first-bias-gradient-doubled": _with(lambda m, f, zt, qw, g: g.__setitem__("b0", 2 * g["b0"])),
    "skip-weights-0.1-percent-off": _with(lambda m, f, zt, qw, g: g.__setitem__("Wl", 1.001 * g["Wl"])),
    "hidden-weights-gradient-transposed": _with(lambda m, f, zt, qw, g: g.__setitem__("W1", g["W1"].T.copy())),
}


def run(loss_grad, seed: int = SEED) -> dict:
    rng = np.random.default_rng(seed)
    f, zt = training_batch(rng)
    m = small_model(rng)
    # Unequal quantile weights, so a weight applied to the wrong quantile shows (training uses 1, 1, 1).
    qw = np.array([0.7, 1.3, 1.1])
    return check(m, f, zt, qw, loss_grad, rng)


def main() -> int:
    ap = argparse.ArgumentParser(description="finite-difference check of model.MLP.loss_grad")
    ap.add_argument("--inject", choices=sorted(INJECTED), help="check a deliberately wrong backward pass instead")
    args = ap.parse_args()
    if args.inject:
        try:
            run(INJECTED[args.inject])
        except Mismatch as e:
            print(f"gradient check FAILED (injected {args.inject}): {e}", file=sys.stderr)
            return 1
        print(f"gradient check passed with injected {args.inject}")
        return 0
    try:
        rep = run(real)
    except Mismatch as e:
        print(f"gradient check FAILED: {e}", file=sys.stderr)
        return 1
    for name, r in rep.items():
        print(f"{name}: {r['checked']} entries checked, {r['skipped']} on a kink skipped, "
              f"worst relative error {r['worst_rel']:.2e}, worst absolute {r['worst_abs']:.2e} "
              f"(largest |gradient| {r['largest_grad']:.2e})")
    missed = []
    for name, lg in INJECTED.items():
        try:
            run(lg)
            missed.append(name)
        except Mismatch as e:
            print(f"injected {name}: caught ({e})")
    if missed:
        print(f"gradient check FAILED: the check did not catch the injected bug(s) {', '.join(missed)}",
              file=sys.stderr)
        return 1
    print(f"gradient check passed: every tensor within {RTOL:g} relative (+{ATOL:g}), "
          f"{len(INJECTED)} injected bugs caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
