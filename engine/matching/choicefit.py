"""The choice model's fit: weights by damped Newton steps on the conditional logit's likelihood.

Split from calibrate.py (which gathers the rows, cross-validates and chooses the thresholds): this
is the optimiser alone, numbers in and weights out.
"""

from __future__ import annotations

import numpy as np

#: L2 strength, on standardised features (0.3 to 10 measured the same with whole sets held out).
L2 = 1.0


def fit_choice(
    x: np.ndarray, y: np.ndarray, group: np.ndarray, l2: float = L2, iterations: int = 60
) -> tuple[np.ndarray, float]:
    """Weights and bias of the choice model, by damped Newton steps, L2 on standardised features.

    The candidates of one question (rows of one `group`, which must be contiguous: calibrate appends
    them question by question) compete for it, beside
    "none of them" whose score is 0: P(c) = exp(s_c) / (1 + sum_j exp(s_j)). A question whose
    right fact is not among its candidates (or that is out of scope) is labelled "none". Against
    one logistic per row, this learns which candidate wins, not only whether each looks right.
    The bias is not penalised.
    """
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    a = np.hstack(((x - mean) / scale, np.ones((len(x), 1))))
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    codes = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(group)]))
    answered = np.add.reduceat(y, starts) > 0
    penalty = np.full(a.shape[1], l2)
    penalty[-1] = 0.0

    def choice(w: np.ndarray) -> tuple[np.ndarray, float]:
        s = a @ w
        top = np.maximum(np.maximum.reduceat(s, starts), 0.0)
        e = np.exp(s - top[codes])
        total = np.exp(-top) + np.add.reduceat(e, starts)
        log_total = top + np.log(total)
        # The log-likelihood of each question's label: its right candidate, or "none".
        chosen = (y * (s - log_total[codes])).sum() - log_total[~answered].sum()
        return e / total[codes], float(-chosen + 0.5 * (penalty * w * w).sum())

    w = np.zeros(a.shape[1])
    p, loss = choice(w)
    for _ in range(iterations):
        gradient = a.T @ (p - y) + penalty * w
        mixed = np.add.reduceat(p[:, None] * a, starts)
        hessian = (a * p[:, None]).T @ a - mixed.T @ mixed + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        # Halve the step until the loss does not grow (Newton's full step can overshoot here).
        for _ in range(14):
            p_new, loss_new = choice(w - step)
            if loss_new <= loss:
                break
            step = step / 2
        else:
            break
        w, p, gain, loss = w - step, p_new, loss - loss_new, loss_new
        if gain <= 1e-9 * max(1.0, abs(loss)):
            break
    weights = w[:-1] / scale
    bias = float(w[-1] - (w[:-1] * mean / scale).sum())
    return weights, bias
