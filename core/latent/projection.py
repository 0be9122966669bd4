"""2-D maps of vectors: PCA (SVD) and t-SNE (exact, NumPy), both deterministic.

t-SNE follows van der Maaten & Hinton (2008): Gaussian neighbourhoods calibrated to a
perplexity by bisection on each point's precision, symmetrised joint probabilities, a
Student-t kernel in 2-D, gradient descent with momentum (0.5, then 0.8) and per-parameter
gains, early exaggeration ×12 for the first 250 iterations, started from the scaled PCA
projection (so the result is deterministic and keeps the global layout). Exact O(n²): meant for
up to a few thousand points.
"""

from __future__ import annotations

import numpy as np

from core.errors import InvalidParameter
from core.jobs import CancelToken, ProgressCallback, check_cancel, report

METHODS = ("pca", "tsne")
"""Projection methods."""

MAX_TSNE_POINTS = 5000


def _matrix(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise InvalidParameter(f"expected a non-empty [n, d] array of vectors, got shape "
                               f"{list(x.shape)}")
    if not np.all(np.isfinite(x)):
        raise InvalidParameter("vectors contain NaN or infinite values")
    return x


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project ``[n, d]`` vectors on their two main axes.

    Returns the coordinates ``[n, 2]`` and the share of variance each axis explains. The sign
    of each axis is fixed (its largest loading is positive), so results are reproducible.
    Fewer than 2 points or dimensions give zeros where an axis is missing.
    """
    x = _matrix(vectors)
    centred = x - x.mean(axis=0)
    out = np.zeros((len(x), 2))
    explained = np.zeros(2)
    if len(x) < 2:
        return out, explained
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(2, len(s))
    for i in range(k):
        if vt[i, np.argmax(np.abs(vt[i]))] < 0:
            vt[i] = -vt[i]
    out[:, :k] = centred @ vt[:k].T
    total = float(np.sum(s ** 2))
    if total > 0:
        explained[:k] = s[:k] ** 2 / total
    return out, explained


def _conditional_p(d2: np.ndarray, perplexity: float) -> np.ndarray:
    """Row-normalised Gaussian affinities whose entropy matches ``log(perplexity)``."""
    n = len(d2)
    target = np.log(perplexity)
    p = np.zeros((n, n))
    for i in range(n):
        row = np.delete(d2[i], i)
        lo, hi, beta = 0.0, np.inf, 1.0
        for _ in range(64):
            w = np.exp(-(row - row.min()) * beta)
            total = w.sum()
            probs = w / total
            entropy = -np.sum(probs * np.log(np.maximum(probs, 1e-300)))
            if abs(entropy - target) < 1e-5:
                break
            if entropy > target:
                lo = beta
                beta = beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi = beta
                beta = (beta + lo) / 2
        p[i, np.arange(n) != i] = probs
    return p


def tsne_2d(vectors: np.ndarray, *, perplexity: float = 30.0, iterations: int = 750,
            learning_rate: float | None = None, seed: int = 0,
            progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> np.ndarray:
    """t-SNE coordinates ``[n, 2]`` of ``[n, d]`` vectors (see the module docstring).

    ``perplexity`` is lowered to ``(n − 1) / 3`` for small sets; ``learning_rate`` defaults to
    ``max(n / 12, 50)``. ``seed`` only breaks ties when the PCA start is degenerate.

    Raises
    ------
    InvalidParameter
        Bad shape, non-finite values, or more than 5000 points.
    """
    x = _matrix(vectors)
    n = len(x)
    if n > MAX_TSNE_POINTS:
        raise InvalidParameter(f"t-SNE here is exact (O(n²)); {n} points is more than "
                               f"{MAX_TSNE_POINTS} — use PCA")
    if n < 3:
        return pca_2d(x)[0]
    perplexity = float(min(perplexity, (n - 1) / 3.0))
    sq = np.sum(x ** 2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    d2 /= max(float(np.median(d2[d2 > 0])) if np.any(d2 > 0) else 1.0, 1e-12)
    cond = _conditional_p(d2, perplexity)
    p = np.maximum((cond + cond.T) / (2 * n), 1e-12)
    start, _ = pca_2d(x)
    if np.std(start) < 1e-12:
        start = np.random.default_rng(seed).standard_normal((n, 2))
    y = start / max(float(np.std(start[:, 0])), 1e-12) * 1e-4
    rate = learning_rate if learning_rate is not None else max(n / 12.0, 50.0)
    velocity = np.zeros_like(y)
    gains = np.ones_like(y)
    for it in range(iterations):
        if it % 50 == 0:
            check_cancel(cancel)
            report(progress, it / iterations, "t-SNE")
        exaggeration = 12.0 if it < 250 else 1.0
        diff = y[:, None, :] - y[None, :, :]
        num = 1.0 / (1.0 + np.sum(diff ** 2, axis=-1))
        np.fill_diagonal(num, 0.0)
        q = np.maximum(num / num.sum(), 1e-12)
        grad = 4.0 * np.sum(((exaggeration * p - q) * num)[:, :, None] * diff, axis=1)
        momentum = 0.5 if it < 250 else 0.8
        same = np.sign(grad) == np.sign(velocity)
        gains = np.maximum(np.where(same, gains * 0.8, gains + 0.2), 0.01)
        velocity = momentum * velocity - rate * gains * grad
        y = y + velocity
        y -= y.mean(axis=0)
    report(progress, 1.0, "t-SNE")
    return y


def project(vectors: np.ndarray, method: str = "pca", *, seed: int = 0,
            progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> np.ndarray:
    """``[n, 2]`` coordinates by ``method`` (``pca`` or ``tsne``)."""
    if method == "pca":
        return pca_2d(vectors)[0]
    if method == "tsne":
        return tsne_2d(vectors, seed=seed, progress=progress, cancel=cancel)
    raise InvalidParameter(f"projection must be one of {', '.join(METHODS)}, got {method!r}")
