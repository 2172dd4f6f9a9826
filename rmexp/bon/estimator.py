"""The expected outcome of best-of-n, computed from N >= n scored samples rather than drawn once.

With N candidates scored, every n-subset is equally likely to be the one sampled. The i-th lowest of
the N by proxy reward is the pick of a random n-subset exactly when it is in the subset and the other
n - 1 come from the i - 1 below it: probability C(i-1, n-1) / C(N, n). Weighting the N candidates by
that is the unbiased estimator of Nakano et al. (2021, WebGPT) and Gao et al. (2023), with far less
variance than one draw of n per prompt, and it gives every n <= N from the same N samples.
"""

import numpy as np
from scipy.special import gammaln


def best_of_n_weights(num_candidates: int, n: int) -> np.ndarray:
    """P(the i-th lowest of N candidates is the best of a random n-subset), for i = 1..N; sums to 1.

    In log space: C(255, 127) is already 1e75, and larger N would overflow a float.
    """
    if not 1 <= n <= num_candidates:
        raise ValueError(f"best-of-n needs 1 <= n <= N, got n={n} with N={num_candidates} candidates")
    rank = np.arange(1, num_candidates + 1)
    possible = rank >= n
    log_comb_below = gammaln(rank[possible]) - gammaln(n) - gammaln(rank[possible] - n + 1)
    log_comb_all = gammaln(num_candidates + 1) - gammaln(n + 1) - gammaln(num_candidates - n + 1)
    weights = np.zeros(num_candidates)
    weights[possible] = np.exp(log_comb_below - log_comb_all)
    return weights


def expected_best_of_n(proxy: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """E[value of the best-of-n pick by proxy] per prompt; `proxy` and `values` are [prompts, N].

    Ties in the proxy are broken at random, so the candidates of a tie share its weight equally: each
    gets the tie's mean value. A reward that ties often (response length, say) is judged fairly, not
    by whichever tied candidate happened to come first.
    """
    order = np.argsort(proxy, axis=-1, kind="stable")
    sorted_proxy = np.take_along_axis(proxy, order, axis=-1)
    sorted_values = np.take_along_axis(values, order, axis=-1).astype(float)
    starts_tie = np.ones(proxy.shape, dtype=bool)
    starts_tie[:, 1:] = sorted_proxy[:, 1:] != sorted_proxy[:, :-1]
    tie = np.cumsum(starts_tie.ravel()) - 1  # every row starts a new tie, so ids never span two prompts
    tie_means = np.bincount(tie, weights=sorted_values.ravel()) / np.bincount(tie)
    return tie_means[tie].reshape(proxy.shape) @ best_of_n_weights(proxy.shape[-1], n)


def best_of_n_kl(n: int | np.ndarray) -> float | np.ndarray:
    """KL(best-of-n || generator) = log n - (n - 1) / n: the analytic value for continuous rewards.

    Stiennon et al. (2020); Gao et al. (2023) use it as the x axis that puts best-of-n and RL on one
    scale. It is an upper bound (Beirami et al. 2024); it grows like log n, so n = 256 is 4.55 nats.
    """
    return np.log(n) - (n - 1) / n
