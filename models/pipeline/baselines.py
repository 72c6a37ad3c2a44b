"""Quick numpy versions of the bench baselines, for model selection on the VALIDATION segment only."""
import numpy as np


def holt_winters_h(x: np.ndarray, valid: np.ndarray, period: int, h: int, fit_end: int,
                   grid=((0.05, 0.2, 0.5), (0.0, 0.01), (0.05, 0.2))):
    """Additive HW; params chosen on rows < fit_end by h-step MAE. Returns forecasts f[t] for x[t+h]."""
    best, best_f = None, None
    for a in grid[0]:
        for b in grid[1]:
            for g in grid[2]:
                f = _hw_run(x, valid, period, h, a, b, g)
                lo = 2 * period
                err = np.abs(f[lo:fit_end - h] - x[lo + h:fit_end])
                ok = valid[lo + h:fit_end] & np.isfinite(err)
                e = err[ok].mean() if ok.any() else np.inf
                if best is None or e < best:
                    best, best_f = e, f
    return best_f


def _hw_run(x, valid, period, h, a, b, g):
    n = len(x)
    first = x[:period][valid[:period]]
    level = first.mean() if len(first) else 0.0
    trend = 0.0
    season = np.zeros(period)
    for i in range(period):
        if valid[i]:
            season[i] = x[i] - level
    f = np.full(n, np.nan)
    for t in range(n):
        if valid[t]:
            s = season[t % period]
            new_level = a * (x[t] - s) + (1 - a) * (level + trend)
            trend = b * (new_level - level) + (1 - b) * trend
            season[t % period] = g * (x[t] - new_level) + (1 - g) * s
            level = new_level
        else:
            level = level + trend
        f[t] = level + h * trend + season[(t + h) % period]
    return f


def fft_forecast(x: np.ndarray, valid: np.ndarray, fit_end: int, n_total: int, k: int = 10):
    """Fit top-k Fourier terms on the history before fit_end (max 4 periods-ish), extrapolate."""
    hist = x[:fit_end].copy()
    v = valid[:fit_end]
    idx = np.arange(fit_end)
    hist[~v] = np.interp(idx[~v], idx[v], hist[v])
    L = len(hist)
    c = np.fft.rfft(hist - hist.mean())
    top = np.argsort(np.abs(c[1:]))[::-1][:k] + 1
    t = np.arange(n_total)
    y = np.full(n_total, hist.mean())
    for j in top:
        y += 2 * np.abs(c[j]) / L * np.cos(2 * np.pi * j * t / L + np.angle(c[j]))
    return y
