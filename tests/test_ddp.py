"""A real two-process DDP run on CPU (gloo), through the CLI: `rmexp-train trainer=ddp trainer.devices=2`.

Each process records, through a callback the config adds, which training examples its sampler dealt
it, whether the batches it trained on were exactly those, and the rewards it gave its share of the
test split. The shares of training data must not overlap, and the test accuracy the run logged
(gathered from both processes) must equal the accuracy over the union of the shares computed here
in one process: each test pair once, although DistributedSampler repeats one to even out the shares.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate

from rmexp.errors import describe_user_error

from .conftest import REPO_ROOT, SMALL_LAB

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out


class RecordShares(pl.Callback):
    """Writes rank<r>.json: this process's training and test indices and its test rewards."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.train_indices: list[int] = []
        self.train_size = 0
        self.batches_match = True
        self.test_indices: list[int] = []
        self.chosen: list[float] = []
        self.rejected: list[float] = []

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.train_indices = list(trainer.train_dataloader.sampler)
        self.train_size = len(trainer.train_dataloader.dataset)
        self._next = 0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_index) -> None:
        dataset = trainer.train_dataloader.dataset
        pairs = batch["input_ids"].shape[0] // 2
        indices = self.train_indices[self._next : self._next + pairs]
        expected = dataset.collate([dataset[index] for index in indices])["input_ids"]
        self.batches_match &= torch.equal(expected, batch["input_ids"])
        self._next += pairs

    def on_test_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.test_indices = list(trainer.test_dataloaders.sampler)

    def on_test_batch_end(self, trainer, module, outputs, batch, batch_index, dataloader_index=0) -> None:
        chosen, rejected = module(batch["input_ids"], batch["attention_mask"]).chunk(2)
        self.chosen += chosen.tolist()
        self.rejected += rejected.tolist()

    def on_test_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        record = {
            "world_size": trainer.world_size,
            "train_size": self.train_size,
            "train_indices": self.train_indices,
            "batches_match": bool(self.batches_match),
            "test_size": len(trainer.test_dataloaders.dataset),
            "test_indices": self.test_indices,
            "chosen": self.chosen,
            "rejected": self.rejected,
        }
        (self.folder / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("ddp")
    overrides = [
        "trainer=ddp",
        "trainer.devices=2",
        *SMALL_LAB,
        # 228 training pairs (even: no pair dealt twice) and 11 test prompts x C(6, 2) = 165 test pairs (odd)
        "data.lab.num_prompts=55",
        "data.lab.responses_per_prompt=6",
        "data.eval_batch_size=32",
        "trainer.max_epochs=1",
        "trainer.enable_progress_bar=false",
        "logger=none",
        "export=false",
        "bootstrap_samples=0",
        "callbacks.model_summary=null",
        f"+callbacks.record={{_target_: tests.test_ddp.RecordShares, folder: '{run_dir}'}}",
        f"hydra.run.dir={run_dir}",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "rmexp.train", *overrides],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((run_dir / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    return json.loads((run_dir / "summary.json").read_text()), ranks


def test_two_processes_train_on_disjoint_shares_of_every_pair(ddp_run):
    _, ranks = ddp_run
    assert [rank["world_size"] for rank in ranks] == [2, 2]
    first, second = (set(rank["train_indices"]) for rank in ranks)
    assert not first & second
    assert first | second == set(range(ranks[0]["train_size"]))
    assert all(rank["batches_match"] for rank in ranks)  # each trained on the very examples it was dealt


def test_the_logged_test_accuracy_is_over_all_pairs_once(ddp_run):
    summary, ranks = ddp_run
    test_size = ranks[0]["test_size"]
    rewards = {}
    for rank in ranks:
        rewards |= dict(zip(rank["test_indices"], zip(rank["chosen"], rank["rejected"], strict=True), strict=True))
    assert sorted(rewards) == list(range(test_size))
    dealt = sum(len(rank["test_indices"]) for rank in ranks)
    assert dealt == test_size + test_size % 2  # an odd split: one pair dealt twice, counted once
    one_process = sum(chosen > rejected for chosen, rejected in rewards.values()) / test_size
    assert summary["status"] == "completed"
    assert summary["metrics"]["test/accuracy"] == pytest.approx(one_process, abs=1e-6)


@pytest.mark.skipif(importlib.util.find_spec("deepspeed") is not None, reason="deepspeed is installed here")
def test_deepspeed_without_its_package_names_the_package(compose_train):
    with pytest.raises(Exception) as stopped:
        instantiate(compose_train("trainer=deepspeed").trainer)
    assert describe_user_error(stopped.value) == (
        "trainer.strategy: To use the `DeepSpeedStrategy`, you must have DeepSpeed installed. "
        "Install it by running `pip install -U deepspeed`."
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_fsdp_without_a_gpu_says_so(compose_train):
    with pytest.raises(Exception) as stopped:
        instantiate(compose_train("trainer=fsdp").trainer)
    assert describe_user_error(stopped.value) == "trainer: No supported gpu backend found!"
