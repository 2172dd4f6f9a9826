"""On the lab every loss family reports its pair diagnostics on the same pairs, ordered by gold.

A pointwise run's labels are one annotator's ratings, a listwise run's the annotators' rankings, a
pairwise run's their choices; were each family judged against its own labels, the same model would
show a different ECE or length-inverted accuracy in each. The same untrained model, read through
each family's test split, must give the same gold-ordered numbers, and its own-label ones apart.
"""

import pytest
import torch
from pytorch_lightning import seed_everything

from rmexp.train import build

from ..conftest import SMALL_LAB

FAMILIES = {"pairwise": "loss=bt", "pointwise": "loss=pointwise_mse", "listwise": "loss=listwise_pairs"}
SHARED = ["model.reward_model.head_init_std=0.5", "model.reward_model.share_prefix=false", *SMALL_LAB]
GOLD_ORDERED = ("ece", "bt_log_loss", "accuracy_length_inverted", "accuracy_length_aligned", "longer_preferred_rate",
                "accuracy_length_matched")  # fmt: skip


def gold_metrics(compose_train, loss: str) -> dict[str, float]:
    seed_everything(0)
    module, datamodule = build(compose_train(loss, *SHARED))
    module.eval()
    datamodule.setup("test")
    with torch.no_grad():
        batches = [module.evaluation_outputs(batch) for batch in datamodule.test_dataloader()]
    outputs = {key: torch.cat([batch[key] for batch in batches]) for key in batches[0]}
    return {key: float(value) for key, value in module.evaluation_metrics(outputs).items()}


def test_every_family_reports_its_pair_diagnostics_on_the_same_gold_ordered_pairs(compose_train):
    metrics = {family: gold_metrics(compose_train, loss) for family, loss in FAMILIES.items()}
    pairwise = metrics["pairwise"]
    for family in ("pointwise", "listwise"):
        for name in GOLD_ORDERED:
            assert metrics[family][name] == pytest.approx(pairwise[name], abs=1e-5), f"{family}: {name}"
    # a pointwise run's own labels are noisy ratings: the same model's calibration against them differs
    assert metrics["pointwise"]["labels/ece"] != pytest.approx(metrics["pointwise"]["ece"], abs=1e-3)
    # the lab's test pairs are ordered by gold, so a pairwise run's own labels are the gold order
    assert pairwise["labels/ece"] == pytest.approx(pairwise["ece"])
