"""rmexp's side of a bench case: train `steps` steps as rmexp-train would, then score the held-out pairs.

The model, data and trainer are built from the composed config exactly as rmexp-train builds them
(`rmexp.train.build`, the trainer config), without validation, checkpoints or logging, so what is
timed is the training loop a run spends its time in. Held-out pairs are scored by `rmexp score`'s
own function, which batches by length, on the run's device: Lightning hands the model back on the
CPU once `fit` ends, so it is moved to the device again first.
"""

import tempfile
import time
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from transformers import PreTrainedTokenizerBase

from rmexp.bench.case_config import CaseRun, case_config
from rmexp.bench.flops import non_embedding_parameters
from rmexp.bench.pairs import held_out_result
from rmexp.bench.timing import StepClock, device_time
from rmexp.data.records import PreferencePair
from rmexp.models.shared_prefix import packed_widths
from rmexp.score import reward_texts
from rmexp.train import build


class LightningStepClock(pl.Callback):
    def __init__(self, clock: StepClock):
        self.clock = clock

    def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, index: int):
        self.clock.batch(batch["attention_mask"], computed_mask(module.model, batch))
        self.clock.step_end()


def computed_mask(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
    """The real positions of the packed rows a model that shares each pair's prompt runs (None: the batch's own).

    Only the rows' widths are worked out (prefix once, then both suffixes), not the rows: the clock
    runs inside the timed step and must not slow it. Made on the batch's device, where the model ran.
    """
    if not getattr(model, "share_prefix", False):
        return None
    input_ids = batch["input_ids"]
    first_rows = torch.arange(input_ids.shape[0] // 2, device=input_ids.device)
    groups = torch.stack([first_rows, first_rows + len(first_rows)], dim=1)
    widths = packed_widths(input_ids, batch["attention_mask"], groups)
    return torch.arange(int(widths.max()), device=input_ids.device) < widths.unsqueeze(1)


def train_and_score(run: CaseRun) -> dict[str, Any]:
    """`wall_seconds` is all of it, building the model and preparing the data included."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = case_config(run, output_dir)
        pl.seed_everything(run.seed, workers=True)
        module, datamodule = build(cfg)
        clock = StepClock(run.warmup_steps, run.device)
        trainer: pl.Trainer = instantiate(
            cfg.trainer,
            logger=False,
            callbacks=[LightningStepClock(clock)],
            max_epochs=1 if run.steps < 0 else -1,
            max_steps=run.steps,
            limit_val_batches=0,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(module, datamodule=datamodule)
    result = {"parameters": non_embedding_parameters(module.model), **clock.summary()}
    result["wall_seconds"] = time.perf_counter() - started
    result["train_pairs"] = len(datamodule.datasets["train"])
    if run.score:
        torch.use_deterministic_algorithms(False)  # the trainer's setting; rmexp score runs without it
        test_pairs = datamodule.split_records("pairwise")["test"][: run.score_pairs]
        model = module.model.to(run.device).eval()
        result |= score_held_out(model, datamodule.tokenizer, test_pairs, run.max_length, run.score_batch_size)
    return result


def score_held_out(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, pairs: list[PreferencePair],
                   max_length: int, batch_size: int) -> dict[str, float]:  # fmt: skip
    """Accuracy on the test pairs and responses scored per second, through rmexp score's `reward_texts`."""
    texts = [(pair.prompt, pair.chosen) for pair in pairs] + [(pair.prompt, pair.rejected) for pair in pairs]
    device = next(model.parameters()).device
    started = device_time(device)
    rewards = reward_texts(model, tokenizer, texts, batch_size, max_length, show_progress=False)
    return held_out_result(torch.tensor(rewards), device_time(device) - started)
