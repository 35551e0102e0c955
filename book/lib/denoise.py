"""Classical soft-thresholding rules and the exact oracle, for signals whose clean part is known (chapter 4).

Every function takes ``noisy`` of shape ``(n, length)`` (one signal a row;
a single signal ``(length,)`` is taken as one row) and returns one threshold
per signal, shape ``(n,)``, in NumPy. ``soft(x, tau)`` is NumPy's twin of
``lib.blocks.soft_threshold``.
"""

import numpy as np

MAD_NORMAL = 0.6745  # the median absolute deviation of a standard normal


def _rows(x):
    """``x`` as a float64 array of rows ``(n, length)``."""
    x = np.asarray(x, dtype=float)
    return x[None, :] if x.ndim == 1 else x.reshape(x.shape[0], -1)


def soft(x, tau):
    """``sign(x) * max(|x| - tau, 0)``; ``tau`` broadcast against ``x`` (per signal: shape ``(n, 1)``)."""
    return np.sign(x) * np.maximum(np.abs(x) - tau, 0.0)


def mad_sigma(noisy):
    """The noise level of each signal estimated by the MAD: ``median|x - median x| / 0.6745``, ``(n,)``."""
    x = _rows(noisy)
    return np.median(np.abs(x - np.median(x, axis=1, keepdims=True)), axis=1) / MAD_NORMAL


def universal_threshold(noisy, sigma=None):
    """Donoho and Johnstone's ``sigma * sqrt(2 ln length)``, ``sigma`` from the MAD unless given: ``(n,)``."""
    x = _rows(noisy)
    sigma = mad_sigma(x) if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=float), (x.shape[0],))
    return sigma * np.sqrt(2 * np.log(x.shape[1]))


def sure_threshold(noisy, sigma=None):
    """The threshold that minimises Stein's unbiased risk estimate of each signal, exactly: ``(n,)``.

    ``SURE(tau) = length * sigma**2 - 2 * sigma**2 * #{|x| <= tau} + sum(min(x**2, tau**2))``
    (Donoho and Johnstone 1995), ``sigma`` from the MAD unless given. Between
    two neighbouring sorted ``|x|`` the count is fixed and the sum grows with
    ``tau``, so the minimum lies at 0 or at one of the ``|x|``: all are tried.
    Plain SURE over ``[0, max|x|]``, without SureShrink's switch to the
    universal threshold for very sparse signals.
    """
    x = _rows(noisy)
    n, length = x.shape
    sigma = mad_sigma(x) if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=float), (n,))
    a = np.sort(np.abs(x), axis=1)  # candidates a_k, k = 1..length; at tau = a_k, k values are <= tau
    k = np.arange(1, length + 1)
    below = np.cumsum(a**2, axis=1)  # sum of the k smallest x**2
    risk = length * sigma[:, None] ** 2 - 2 * sigma[:, None] ** 2 * k + below + (length - k) * a**2
    risk = np.concatenate([length * sigma[:, None] ** 2, risk], axis=1)  # first: tau = 0, SURE = length * sigma**2
    candidates = np.concatenate([np.zeros((n, 1)), a], axis=1)
    return candidates[np.arange(n), np.argmin(risk, axis=1)]


def bayes_shrink_threshold(noisy, sigma=None):
    """Chang, Yu and Vetterli's BayesShrink threshold ``sigma**2 / sigma_x`` for each signal: ``(n,)``.

    ``sigma_x = sqrt(max(mean(x**2) - sigma**2, 0))`` estimates the clean
    signal's spread, ``sigma`` from the MAD unless given. When the noise
    explains all the signal's energy (``sigma_x = 0``) the threshold is
    ``max|x|``: everything is zeroed, as the rule's limit prescribes.
    """
    x = _rows(noisy)
    sigma = mad_sigma(x) if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=float), (x.shape[0],))
    spread = np.sqrt(np.maximum(np.mean(x**2, axis=1) - sigma**2, 0.0))
    largest = np.max(np.abs(x), axis=1)
    with np.errstate(divide="ignore"):
        tau = np.where(spread > 0, sigma**2 / np.where(spread > 0, spread, 1.0), largest)
    return np.minimum(tau, largest)


def squared_error(noisy, clean, tau):
    """The mean squared error of soft thresholding each signal at its own ``tau``: ``(n,)``."""
    x, c = _rows(noisy), _rows(clean)
    return np.mean((soft(x, np.asarray(tau, dtype=float).reshape(-1, 1)) - c) ** 2, axis=1)


def exact_oracle(noisy, clean, cap=None):
    """The threshold that minimises each signal's squared error, found exactly: ``(tau, error, zeroes_all)``.

    ``noisy``, ``clean``: ``(n, length)``. ``cap``: an upper bound on
    ``tau``, a number or one per signal ``(n,)`` (chapter 4: ``mean|x|``,
    the largest threshold a DRSN unit can choose); ``None`` for none.
    Between two neighbouring sorted ``|x|`` the same values are zeroed, so
    ``sum((soft(x, tau) - clean)**2)`` is a quadratic in ``tau`` there:
    ``zeroed clean**2 + sum over kept of ((x - clean) - sign(x) * tau)**2``.
    Each piece's vertex (clipped to the piece and the cap) and its ends are
    tried; the smallest error wins, the smaller ``tau`` on a tie. Returns
    ``tau (n,)``, the mean squared error per value ``(n,)``, and
    ``zeroes_all (n,)``: the best is to zero the whole signal (``tau =
    max|x|``, and every larger ``tau`` does as well).
    """
    x, c = _rows(noisy), _rows(clean)
    n, length = x.shape
    order = np.argsort(np.abs(x), axis=1)
    x, c = np.take_along_axis(x, order, 1), np.take_along_axis(c, order, 1)
    a, d = np.abs(x), x - c
    signed = np.sign(x) * d

    def suffix(values):  # suffix[k] = sum of values[k:], k = 0..length
        return np.concatenate([np.cumsum(values[:, ::-1], axis=1)[:, ::-1], np.zeros((n, 1))], axis=1)

    zeroed = np.concatenate([np.zeros((n, 1)), np.cumsum(c**2, axis=1)], axis=1)  # (n, length + 1)
    kept_d2, kept_sd = suffix(d**2), suffix(signed)
    kept = length - np.arange(length + 1)  # piece k: the k smallest zeroed, length - k kept
    lower = np.concatenate([np.zeros((n, 1)), a], axis=1)  # piece k runs from a_k (a_0 = 0) ...
    upper = np.concatenate([a, np.full((n, 1), np.inf)], axis=1)  # ... to a_{k+1}
    bound = np.full(n, np.inf) if cap is None else np.broadcast_to(np.asarray(cap, dtype=float), (n,))
    upper = np.minimum(upper, bound[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = np.where(kept > 0, kept_sd / np.maximum(kept, 1), lower)
    top = np.where(np.isinf(upper), lower, upper)  # the last piece (all zeroed) is flat: its lower end will do
    candidates = np.stack([lower, np.clip(vertex, lower, np.maximum(lower, top)), top])

    def risk(tau):  # the piece's quadratic at tau
        return zeroed + kept_d2 - 2 * tau * kept_sd + kept * tau**2

    risks = np.where(lower[None] <= upper[None], risk(candidates), np.inf)  # pieces wholly above the cap: none
    flat_risk = np.moveaxis(risks, 0, -1).reshape(n, -1)
    flat_tau = np.moveaxis(candidates, 0, -1).reshape(n, -1)
    best = np.min(flat_risk, axis=1, keepdims=True)
    ties = flat_risk <= best + 1e-12 * np.maximum(1.0, best)
    tau = np.min(np.where(ties, flat_tau, np.inf), axis=1)
    largest = a[:, -1]
    return tau, best[:, 0] / length, tau >= largest
