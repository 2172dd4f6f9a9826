"""Both systems on the tiny lab in this process, a few steps each: what the bench measures, for real."""

from dataclasses import replace
from types import SimpleNamespace

import pytest
import torch

from rmexp.bench import rmexp_runner
from rmexp.bench.case_config import CaseRun
from tests.conftest import SMALL_LAB

RUN = CaseRun(
    train=["model=tiny", "data=synthetic", *SMALL_LAB],
    steps=4,
    warmup_steps=1,
    batch_size=8,
    max_length=128,
    learning_rate=3e-3,
    seed=0,
    precision="32-true",
    score=True,
    score_batch_size=64,
)


@pytest.fixture(scope="module")
def rmexp_run():
    return rmexp_runner.train_and_score(RUN)


def test_rmexp_times_the_steps_after_the_warm_up(rmexp_run):
    assert rmexp_run["trained_pairs"] == 4 * 8
    assert rmexp_run["timed_steps"] == 3
    assert rmexp_run["pairs"] == 3 * 8
    assert rmexp_run["pairs_per_second"] == pytest.approx(rmexp_run["pairs"] / rmexp_run["seconds"])
    assert 0 <= rmexp_run["padding_fraction"] < 1
    assert 0 <= rmexp_run["test_accuracy"] <= 1 and rmexp_run["scoring_responses_per_second"] > 0


def test_trl_trains_on_the_same_pairs_and_drops_the_long_ones(rmexp_run):
    pytest.importorskip("trl")
    from rmexp.bench import trl_runner

    trl_run = trl_runner.train_and_score(RUN)
    assert trl_run["trained_pairs"] == 4 * 8 and trl_run["timed_steps"] == 3
    assert trl_run["train_pairs"] == rmexp_run["train_pairs"]  # the lab's pairs all fit in 128 tokens
    assert trl_run["test_pairs"] == rmexp_run["test_pairs"]  # both scored on the same held-out pairs
    assert 0 <= trl_run["test_accuracy"] <= 1

    lengths = [12, 128]
    kept = trl_runner.kept_pairs(RUN, lengths)
    assert kept["train_pairs"] == rmexp_run["train_pairs"]
    assert 0 < kept["kept"]["12"] < kept["kept"]["128"] == kept["train_pairs"]
    short = trl_runner.train_and_score(replace(RUN, score=False, max_length=12))
    assert short["train_pairs"] == kept["kept"]["12"]
    assert short["train_pairs_dropped"] == kept["train_pairs"] - kept["kept"]["12"]


def test_the_clock_works_out_a_shared_prompt_on_the_batchs_device():
    """A tensor made without a device lands on `meta` here: what a CUDA batch meets in a CPU-made tensor."""
    # chosen rows 0, 1, rejected rows 2, 3: pair 0 shares 5 6 7, so 3 + 1 + 1 = 5 columns; pair 1 nothing: 2 + 1
    input_ids = torch.tensor([[5, 6, 7, 8], [5, 9, 0, 0], [5, 6, 7, 3], [4, 0, 0, 0]])
    attention_mask = (torch.arange(4) < torch.tensor([[4], [2], [4], [1]])).long()
    with torch.device("meta"):
        mask = rmexp_runner.computed_mask(
            SimpleNamespace(share_prefix=True), {"input_ids": input_ids, "attention_mask": attention_mask}
        )
    assert mask.device.type == "cpu"
    assert mask.tolist() == [[True] * 5, [True] * 3 + [False] * 2]
