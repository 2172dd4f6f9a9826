"""The over-optimisation curve and the pick's length, as PNG files; several RMs can share one figure.

Each figure takes {label: rows of best_of_n_curve}, so one run draws itself and a README figure
draws runs side by side with the same code.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from rmexp.bon.curve import gao_fit
from rmexp.plots import save  # also selects the Agg backend


def plot_over_optimisation(curves: dict[str, list[dict]], path: Path, title: str = "") -> Path:
    """Gold (solid) and proxy on gold's scale (dashed) of the best-of-n pick against KL, with n on top.

    Gao et al. (2023) draw the same axes: a gap that opens as KL grows is the RM being over-optimised.
    Their form gold(d) = d (alpha - beta d), fitted to the gold points, is drawn dotted through them,
    so a reader sees whether it fits and where it puts the peak. Gold as the RM (the pick gold itself
    makes, the ceiling of every RM on these candidates) is drawn once, dash-dotted, where the rows have it.
    """
    figure, axes = plt.subplots(figsize=(6.4, 4.6))
    reference = next((rows for rows in curves.values() if "gold_as_rm" in rows[0]), None)
    if reference is not None:
        axes.plot([row["kl"] for row in reference], [row["gold_as_rm"] for row in reference], linestyle="-.",
                  color="black", alpha=0.6, label="gold as the RM (reference)")  # fmt: skip
    for colour, (label, rows) in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"], curves.items(), strict=False):
        kl = [row["kl"] for row in rows]
        prefix = f"{label}: " if label else ""
        axes.plot(kl, [row["gold"] for row in rows], marker="o", color=colour, label=f"{prefix}gold")
        axes.plot(kl, [row["proxy_gold_scale"] for row in rows], marker="x", linestyle="--", color=colour,
                  label=f"{prefix}proxy (gold scale)")  # fmt: skip
        fit = gao_fit(rows)
        if fit is not None:
            dense_kl = np.linspace(0, max(kl), 200)
            label = f"{prefix}Gao fit: alpha {fit.alpha:.3g}, beta {fit.beta:.3g}, R² {fit.r2:.2f}"
            axes.plot(dense_kl, fit.predict(dense_kl), linestyle=":", color=colour, label=label)
    axes.set(xlabel="KL(best-of-n || generator), nats", ylabel="reward of the pick")
    rows = next(iter(curves.values()))
    top = axes.twiny()
    top.set_xlim(axes.get_xlim())
    top.set_xticks([row["kl"] for row in rows], [str(row["n"]) for row in rows])
    top.set_xlabel("n")
    axes.legend(loc="best", fontsize="small")
    if title:
        top.set_title(title, fontsize="medium")  # on the top axis, so it clears the n ticks
    return save(figure, path)


def plot_pick_length(curves: dict[str, list[dict]], path: Path, title: str = "") -> Path:
    """The mean length of the best-of-n pick against n: flat for an RM that ignores length."""
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    for label, rows in curves.items():
        axes.plot([row["n"] for row in rows], [row["length"] for row in rows], marker="o", label=label or None)
    axes.set_xscale("log", base=2)
    axes.set_xticks([row["n"] for row in rows], [str(row["n"]) for row in rows])
    axes.set(xlabel="n", ylabel="length of the pick (words)")
    if any(curves):
        axes.legend(loc="best", fontsize="small")
    if title:
        axes.set_title(title, fontsize="medium")
    return save(figure, path)
