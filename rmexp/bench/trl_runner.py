"""TRL's side of a bench case: its RewardTrainer on the same backbone, pairs, tokenizer and settings as rmexp.

TRL gets each pair tokenized by the case's tokenizer as one text (prompt, a space, the response,
the closing token), which is what its own preprocessing makes of implicit-prompt rows, so both
systems see the same tokens; TRL then drops the pairs longer than `max_length`, as it always does.
The optimiser settings (learning rate, warm-up then cosine decay, weight decay, betas, gradient
clipping), the precision and the seed are rmexp's; gradient checkpointing, which TRL turns on by
default and rmexp leaves off, is off; everything else is TRL's default. Both train on the run's
device: TRL (through accelerate) takes the first visible GPU unless told to use the CPU. Held-out
pairs are scored on that device with a plain transformers loop: the texts in file order, padded per
batch, left-truncated.
"""

import importlib.util
import tempfile
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from transformers import (
    AutoModelForSequenceClassification,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    TrainerCallback,
    set_seed,
)

from rmexp.bench.case_config import CaseRun, case_config
from rmexp.bench.flops import non_embedding_parameters
from rmexp.bench.pairs import as_one_text, held_out_result, kept_by_trl, one_text_ids
from rmexp.bench.timing import StepClock, device_time
from rmexp.errors import UserError


class TrlStepClock(TrainerCallback):
    def __init__(self, clock: StepClock):
        self.clock = clock

    def on_step_end(self, args, state, control, **kwargs):
        self.clock.step_end()


class CountingCollator:
    """TRL's collator, noting each batch for the clock (callbacks do not see the batches)."""

    def __init__(self, collator: Any, clock: StepClock):
        self.collator, self.clock = collator, clock

    def __call__(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        batch = self.collator(examples)
        self.clock.batch(batch["attention_mask"])
        return batch


def sequence_classifier(cfg: DictConfig, tokenizer: PreTrainedTokenizerBase) -> PreTrainedModel:
    """The case's backbone as transformers' own reward model (one label): pretrained weights, or the tiny config."""
    folder = cfg.model.get("name_or_path")
    if folder is None:  # the tiny random model: the architecture rmexp builds, initialised by transformers
        config = instantiate(cfg.model.reward_model, tokenizer=tokenizer).backbone.config
        config.num_labels = 1
        model = AutoModelForSequenceClassification.from_config(config)
    else:
        folder = instantiate(folder) if OmegaConf.is_config(folder) else folder
        model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=1, dtype=torch.float32)
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id
    return model


def train_and_score(run: CaseRun, disable_dropout: bool = False) -> dict[str, Any]:
    """`disable_dropout`: TRL's own default (true) turns the backbone's dropout off; rmexp trains with it."""
    if importlib.util.find_spec("trl") is None:
        raise UserError("the bench compares with TRL, which is not installed: pip install -e '.[bench]'")
    from datasets import Dataset
    from trl import RewardConfig, RewardTrainer

    with tempfile.TemporaryDirectory() as output_dir:
        cfg = case_config(run, output_dir)
        tokenizer = instantiate(cfg.model.tokenizer)
        pairs = instantiate(cfg.data, tokenizer=tokenizer, view="pairwise").split_records("pairwise")
        set_seed(run.seed)
        model = sequence_classifier(cfg, tokenizer)

        rows = Dataset.from_dict(one_text_ids(tokenizer, pairs["train"]))
        optimizer = cfg.optimizer
        args = RewardConfig(
            output_dir=output_dir,
            max_length=run.max_length,
            per_device_train_batch_size=run.batch_size,
            max_steps=run.steps,
            learning_rate=run.learning_rate,
            lr_scheduler_type="cosine",
            warmup_steps=int(cfg.scheduler.warmup_fraction * run.steps),
            weight_decay=optimizer.weight_decay,
            adam_beta1=optimizer.betas[0],
            adam_beta2=optimizer.betas[1],
            max_grad_norm=cfg.trainer.gradient_clip_val,
            bf16=run.precision.startswith("bf16"),
            gradient_checkpointing=False,
            disable_dropout=disable_dropout,
            seed=run.seed,
            data_seed=run.seed,
            use_cpu=run.device == "cpu",
            save_strategy="no",
            eval_strategy="no",
            report_to="none",
            logging_steps=10,
            disable_tqdm=True,
        )
        clock = StepClock(run.warmup_steps, run.device)
        trainer = RewardTrainer(
            model=model, args=args, train_dataset=rows, processing_class=tokenizer, callbacks=[TrlStepClock(clock)]
        )
        trainer.data_collator = CountingCollator(trainer.data_collator, clock)
        trainer.train()
    result = {"parameters": non_embedding_parameters(model), **clock.summary()}
    result["train_pairs"] = len(trainer.train_dataset)
    result["train_pairs_dropped"] = len(rows) - len(trainer.train_dataset)
    if run.score:
        # as a user loads it: without the bf16 autocast that accelerate wrapped around its forward for training
        model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
        test_pairs = pairs["test"][: run.score_pairs]
        model = model.to(run.device).eval()
        result |= score_held_out(model, tokenizer, test_pairs, run.max_length, run.score_batch_size)
    return result


@torch.no_grad()
def score_held_out(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, pairs: list, max_length: int,
                   batch_size: int) -> dict[str, Any]:  # fmt: skip
    """Accuracy on the test pairs and responses scored per second, with the forward loop a transformers user writes.

    Every test pair is scored, those over `max_length` cut from the left (the response's end and
    closing token kept), so the accuracy is over the same pairs as rmexp's.
    """
    texts = [as_one_text(pair.prompt, pair.chosen) for pair in pairs] + [
        as_one_text(pair.prompt, pair.rejected) for pair in pairs
    ]
    tokenizer.truncation_side, tokenizer.padding_side = "left", "right"
    rewards = []
    started = device_time(model.device)
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt").to(model.device)  # fmt: skip
        rewards.append(model(**batch).logits.squeeze(-1).float())
    return held_out_result(torch.cat(rewards), device_time(model.device) - started)


def kept_pairs(run: CaseRun, max_lengths: list[int]) -> dict[str, Any]:
    """How many training pairs of the case TRL keeps at each max length (it drops the longer ones)."""
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = case_config(run, output_dir)
    tokenizer = instantiate(cfg.model.tokenizer)
    pairs = instantiate(cfg.data, tokenizer=tokenizer, view="pairwise").split_records("pairwise")["train"]
    ids = one_text_ids(tokenizer, pairs)
    return {"train_pairs": len(pairs), "kept": {str(length): kept_by_trl(ids, length) for length in max_lengths}}
