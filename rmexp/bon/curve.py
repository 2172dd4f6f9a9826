"""The over-optimisation curve: gold and proxy reward of the best-of-n pick for n = 1, 2, 4, ..., N.

The proxy (the reward model's score) and gold live on different scales, so the proxy is also put on
gold's scale per prompt: shifted and stretched so that over the prompt's N candidates it has gold's
mean and standard deviation. At n = 1 the two then agree exactly; as n grows, an RM that were gold
would keep them together, and the gap between them is how much more the RM promises than it gives.
`gold_as_rm` is the reference no RM can beat: the gold of the pick when gold itself chooses it.
"""

import numpy as np

from rmexp.bon.estimator import best_of_n_kl, expected_best_of_n
from rmexp.bon.scaling_law import GaoFit, fit_gao

COLUMNS = ("n", "kl", "gold", "proxy", "proxy_gold_scale", "length", "gold_as_rm")


def powers_of_two(num_candidates: int) -> list[int]:
    """1, 2, 4, ... up to N, and N itself when it is not a power of two."""
    values = [2**k for k in range(num_candidates.bit_length()) if 2**k <= num_candidates]
    return values if values[-1] == num_candidates else [*values, num_candidates]


def on_gold_scale(proxy: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """The proxy with each prompt's gold mean and spread over its candidates; a constant proxy stays at the mean."""
    proxy_std = proxy.std(axis=-1, keepdims=True)
    standardized = np.divide(proxy - proxy.mean(axis=-1, keepdims=True), proxy_std, where=proxy_std > 0,
                             out=np.zeros_like(proxy, dtype=float))  # fmt: skip
    return gold.mean(axis=-1, keepdims=True) + gold.std(axis=-1, keepdims=True) * standardized


def best_of_n_curve(proxy: np.ndarray, gold: np.ndarray, length: np.ndarray, n_values: list[int]) -> list[dict]:
    """One row per n: the KL from the generator and the pick's expected gold, proxy and length, averaged over prompts.

    All arrays are [prompts, N]; the pick is chosen by `proxy` in every column.
    """
    proxy_gold_scale = on_gold_scale(proxy, gold)
    return [
        {
            "n": n,
            "kl": float(best_of_n_kl(n)),
            "gold": float(expected_best_of_n(proxy, gold, n).mean()),
            "proxy": float(expected_best_of_n(proxy, proxy, n).mean()),
            "proxy_gold_scale": float(expected_best_of_n(proxy, proxy_gold_scale, n).mean()),
            "length": float(expected_best_of_n(proxy, length, n).mean()),
            "gold_as_rm": float(expected_best_of_n(gold, gold, n).mean()),
        }
        for n in n_values
    ]


def headline(rows: list[dict]) -> dict[str, float]:
    """The figures a sweep compares (flat, as `rmexp compare` reads summary metrics): every n, and the story.

    `gold_peak_n` is where the pick's gold is highest: the largest n when more search never hurts, a
    smaller one when the RM is over-optimised; `proxy_gold_gap` is proxy minus gold at the largest n,
    both on gold's scale; `gold_gain` and `length_gain` are the change from the smallest n (1 by default)
    to the largest. Rows are in increasing n. With n = 1 and at least two more n, Gao et al.'s form is
    fitted too (`bon/gao_*`, rmexp/bon/scaling_law.py).
    """
    metrics = {f"bon/{column}_n{row['n']}": row[column] for row in rows for column in COLUMNS[2:] if column in row}
    fit = gao_fit(rows)
    if fit is not None:
        metrics |= fit.metrics()
    peak = max(rows, key=lambda row: row["gold"])
    last = rows[-1]
    return metrics | {
        "bon/gold_max_n": last["gold"],
        "bon/proxy_max_n": last["proxy_gold_scale"],
        "bon/gold_peak_n": float(peak["n"]),
        "bon/gold_peak": peak["gold"],
        "bon/proxy_gold_gap": last["proxy_gold_scale"] - last["gold"],
        "bon/gold_gain": last["gold"] - rows[0]["gold"],
        "bon/length_gain": last["length"] - rows[0]["length"],
    }


def gao_fit(rows: list[dict]) -> GaoFit | None:
    """Gao et al.'s form fitted to the pick's gold over the n grid; None when the grid cannot anchor it (no n = 1)."""
    if rows[0]["n"] != 1 or len(rows) < 3:
        return None
    return fit_gao(np.array([row["kl"] for row in rows]), np.array([row["gold"] for row in rows]))


def mean_curve(curves: list[list[dict]]) -> list[dict]:
    """Several runs' curves (seeds, say) averaged n by n, to draw one line per variant; the columns all of
    them hold (a run from before `gold_as_rm` lacks it)."""
    if any([row["n"] for row in curve] != [row["n"] for row in curves[0]] for curve in curves):
        raise ValueError("the curves to average must have the same n values")
    columns = [column for column in COLUMNS[1:] if all(column in curve[0] for curve in curves)]
    return [
        {"n": row["n"], **{column: float(np.mean([curve[i][column] for curve in curves])) for column in columns}}
        for i, row in enumerate(curves[0])
    ]
