"""Calibration of the preference probability sigmoid(r_a - r_b) that a Bradley-Terry RM implies.

A pair seen once, as labelled, would only ever have outcome 1; each pair is therefore counted in
both orders, (p, 1) and (1 - p, 0), which makes the reliability diagram symmetric about 0.5 and
its ECE that of a classifier asked "is a better than b?" for a random order.
"""

import torch
from torch import Tensor


def win_probabilities(preferred_gap: Tensor) -> tuple[Tensor, Tensor]:
    """sigmoid(r_preferred - r_other) of each pair in both orders, with the outcome of each."""
    probability = torch.sigmoid(preferred_gap.double())
    return torch.cat([probability, 1 - probability]), torch.cat(
        [torch.ones_like(probability), torch.zeros_like(probability)]
    )


def reliability_bins(probabilities: Tensor, outcomes: Tensor, num_bins: int = 10) -> dict[str, Tensor]:
    """Per equal-width bin of predicted probability: its mean prediction, observed frequency and count.

    Empty bins hold NaN confidence and frequency; p = 1.0 falls in the last bin.
    """
    index = (probabilities * num_bins).long().clamp(0, num_bins - 1)
    # a one-hot sum, not index_add_ or bincount: on the inputs' device, and deterministic on CUDA too
    membership = torch.nn.functional.one_hot(index, num_bins).double()  # [N, bins]
    counts = membership.sum(dim=0)
    sums = probabilities.double() @ membership
    hits = outcomes.double() @ membership
    return {"confidence": sums / counts, "frequency": hits / counts, "count": counts}


def expected_calibration_error(probabilities: Tensor, outcomes: Tensor, num_bins: int = 10) -> Tensor:
    """ECE = sum over bins of (n_bin / N) |frequency - confidence| (Guo et al. 2017); 0 is calibrated."""
    bins = reliability_bins(probabilities, outcomes, num_bins)
    filled = bins["count"] > 0
    gaps = (bins["frequency"] - bins["confidence"]).abs()[filled]
    return ((bins["count"][filled] / bins["count"].sum()) * gaps).sum().float()


def pair_calibration(preferred_gap: Tensor, num_bins: int = 10) -> dict[str, Tensor]:
    """The ECE and the BT log-loss -log sigmoid(r_preferred - r_other) of a set of pairs."""
    probabilities, outcomes = win_probabilities(preferred_gap)
    return {
        "ece": expected_calibration_error(probabilities, outcomes, num_bins),
        "bt_log_loss": -torch.nn.functional.logsigmoid(preferred_gap.double()).mean().float(),
    }
