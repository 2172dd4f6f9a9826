"""A pairwise loss reads the per-pair numbers it names (`loss.pair_fields`): margin, or a preference probability."""

import json

import pytest
import torch
from hydra.utils import instantiate

from rmexp.errors import UserError
from rmexp.losses.pairwise import bradley_terry_soft
from rmexp.train import build


def write_pairs(path, probabilities):
    rows = [
        {"prompt": f"question {i}", "chosen": f"a careful answer {i}", "rejected": "no", "agreement": p}
        for i, p in enumerate(probabilities)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_soft_bt_trains_on_the_data_s_preference_probability(compose_train, tmp_path):
    data = write_pairs(tmp_path / "pairs.jsonl", [0.5, 0.75, 1.0, 0.9] * 10)
    cfg = compose_train("loss=bt_soft", "data=jsonl", f"data.path={data}", "data.format.probability=agreement",
                        "model.reward_model.head_init_std=0.5", f"paths.cache_dir={tmp_path / 'cache'}")  # fmt: skip
    module, datamodule = build(cfg)
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    assert set(batch["probability"].tolist()) <= {0.5, 0.75, 1.0, 0.8999999761581421}
    loss, rewards, _ = module.training_loss(batch)
    chosen, rejected = rewards.chunk(2)
    # -p log sigmoid(d) - (1 - p) log sigmoid(-d), with the batch's own p: not the hard-label BT
    assert loss.item() == pytest.approx(bradley_terry_soft(chosen, rejected, batch["probability"]).item(), abs=1e-6)
    assert loss.item() != pytest.approx(-torch.nn.functional.logsigmoid(chosen - rejected).mean().item(), abs=1e-6)


def test_a_probability_outside_zero_one_is_named_with_its_line(compose_train, tmp_path):
    data = write_pairs(tmp_path / "pairs.jsonl", [0.5] * 5 + [1.5] + [0.5] * 30)
    cfg = compose_train("loss=bt_soft", "data=jsonl", f"data.path={data}", "data.format.probability=agreement",
                        f"paths.cache_dir={tmp_path / 'cache'}")  # fmt: skip
    _, datamodule = build(cfg)
    with pytest.raises(
        UserError, match=r"pairs.jsonl, line 6: field 'agreement': expected a number in \[0.0, 1.0\], got 1.5"
    ):
        datamodule.setup("fit")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["loss=bt_smooth", "loss.pair_fields=[margin]"],
            "'margin' is not a keyword of loss.loss_fn (bradley_terry_smoothed)",
        ),
        (["loss=bt", "loss.pair_fields=[weight]"], "'weight' is not a per-pair field of the data"),
    ],
)
def test_a_field_the_loss_or_the_data_lacks_is_refused_at_the_config(compose_train, overrides, message):
    cfg = compose_train(*overrides)
    with pytest.raises(Exception) as refused:
        instantiate(cfg.loss, model=None, optimizer=None)
    assert message in str(refused.value)
