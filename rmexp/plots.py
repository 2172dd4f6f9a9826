"""The two pictures of a reward model's evaluation, as PNG files a user without W&B can open.

Agg backend: runs write plots on headless machines and inside tests, never opening a window.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen before pyplot loads)
import numpy as np  # noqa: E402
from torch import Tensor  # noqa: E402

from rmexp.metrics.calibration import expected_calibration_error, reliability_bins, win_probabilities  # noqa: E402
from rmexp.metrics.correlation import pearson  # noqa: E402
from rmexp.metrics.length_bias import reward_per_100_tokens  # noqa: E402


def plot_reward_against_length(rewards: Tensor, lengths: Tensor, path: Path, title: str = "") -> Path:
    """Each response's reward over its length in tokens, with the least-squares line.

    A flat cloud is what an unbiased RM draws; a rising one is the length bias the numbers report.
    """
    slope = reward_per_100_tokens(rewards, lengths).item() / 100
    x, y = lengths.double().cpu().numpy(), rewards.double().cpu().numpy()
    figure, axes = plt.subplots(figsize=(6, 4.5))
    axes.scatter(x, y, s=6, alpha=0.3, linewidths=0)
    line_x = np.array([x.min(), x.max()])
    axes.plot(
        line_x, y.mean() + slope * (line_x - x.mean()), color="tab:red", label=f"{100 * slope:.3f} per 100 tokens"
    )
    axes.set(xlabel="response length (tokens)", ylabel="reward")
    axes.set_title(f"{title} corr = {pearson(rewards, lengths).item():.3f}".strip())
    axes.legend(loc="best")
    return save(figure, path)


def plot_reliability_diagram(preferred_gaps: Tensor, path: Path, num_bins: int = 10, title: str = "") -> Path:
    """Observed win frequency against sigmoid(r_a - r_b) per bin; the diagonal is perfect calibration."""
    probabilities, outcomes = win_probabilities(preferred_gaps)
    bins = reliability_bins(probabilities, outcomes, num_bins)
    ece = expected_calibration_error(probabilities, outcomes, num_bins).item()
    centres = (np.arange(num_bins) + 0.5) / num_bins
    filled = (bins["count"] > 0).numpy()
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.bar(centres[filled], bins["frequency"].numpy()[filled], width=1 / num_bins, edgecolor="black", alpha=0.6,
             label="observed")  # fmt: skip
    axes.plot([0, 1], [0, 1], linestyle="--", color="gray", label="calibrated")
    axes.plot(bins["confidence"].numpy()[filled], bins["frequency"].numpy()[filled], marker="o", color="tab:red",
              label="mean prediction")  # fmt: skip
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="sigmoid(r_a - r_b)", ylabel="fraction of pairs a is preferred")
    axes.set_title(f"{title} ECE = {ece:.3f}".strip())
    axes.legend(loc="upper left")
    return save(figure, path)


def save(figure: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
