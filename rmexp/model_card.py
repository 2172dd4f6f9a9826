"""The README.md of an exported reward model: what it is, what it was trained on, how well it did, how to load it.

Hugging Face shows a folder's README as its model card, and a reward model found there without one
cannot be judged: a reader needs the base model, the data and the loss it learned from, its test
metrics (with the length diagnostics, since reward models tend to reward length) and the lines that
load it with transformers alone. The YAML front matter is the hub's metadata (library, tags, base model).
"""

import math
from dataclasses import dataclass, field
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from transformers import PreTrainedModel

from rmexp.models.ensemble import EnsembleSettings, describe_aggregate
from rmexp.summary import TABLE_METRICS

# the length diagnostics the card explains below its table: the share of accuracy length cannot explain
LENGTH_METRICS = ("longer_preferred_rate", "accuracy_length_matched", "length_corr", "length_partial_corr")


@dataclass
class TrainingRecord:
    """What a training run knows of itself that the card reports; an export made outside a run has none."""

    base_model: str  # a hub id or folder, or what the randomly initialised backbone is
    data: str  # the data option and its file, e.g. "hh_rlhf (../shared/data/hh_rlhf_harmless.jsonl.gz)"
    loss: str  # the loss option and its function
    settings: dict[str, object] = field(default_factory=dict)  # seed, epochs, steps, precision, ...
    metrics: dict[str, float] = field(default_factory=dict)  # `test/...` as summary.json has them
    intervals: dict[str, list[float]] = field(default_factory=dict)  # their prompt-bootstrap 95% intervals


def model_card(ensemble: EnsembleSettings | None = None, training: TrainingRecord | None = None) -> str:
    """The card's markdown: front matter, training, test results, loading, and the ensemble's aggregation."""
    sections = [front_matter(training), "# A reward model trained with rmexp\n", usage(ensemble)]
    if ensemble is not None and ensemble.members > 1:
        sections.append(ensemble_section(ensemble))
    if training is not None:
        sections += [training_section(training), results_section(training)]
    else:
        sections.append("Exported outside a training run: no training record or test metrics.\n")
    return "\n".join(sections)


def front_matter(training: TrainingRecord | None) -> str:
    lines = ["---", "library_name: transformers", "pipeline_tag: text-classification", "tags:"]
    lines += ["- reward-model", "- rlhf", "- rmexp"]
    base = training.base_model if training else ""
    if base.count("/") == 1 and not base.startswith((".", "/")):  # a hub id, not a local folder
        lines.append(f"base_model: {base}")
    return "\n".join([*lines, "---", ""])


def usage(ensemble: EnsembleSettings | None) -> str:
    members = ensemble.members if ensemble is not None else 1
    reward = "logits.mean(-1)  # see the ensemble section" if members > 1 else "logits.squeeze(-1)"
    return (
        "It scores a (prompt, response) pair with one number, higher for the better response. The folder is an "
        "`AutoModelForSequenceClassification` with its tokenizer; the prompt and the response go in as a text "
        "pair, as rmexp trained it.\n\n"
        "```python\n"
        "import torch\n"
        "from transformers import AutoModelForSequenceClassification, AutoTokenizer\n\n"
        'model = AutoModelForSequenceClassification.from_pretrained("<this folder>").eval()\n'
        'tokenizer = AutoTokenizer.from_pretrained("<this folder>")\n'
        'inputs = tokenizer(["What is 2 + 2?"], ["4."], return_tensors="pt")\n'
        "with torch.no_grad():\n"
        f"    logits = model(**inputs).logits  # [batch, {members}]\n"
        f"reward = {reward}\n"
        "```\n\n"
        "With rmexp: `rmexp-score reward_model=<this folder> input=rows.jsonl` scores a file of "
        "{prompt, response} rows; `rmexp-eval reward_model=<this folder> data=...` evaluates it on a data set.\n"
    )


def ensemble_section(ensemble: EnsembleSettings) -> str:
    """A transformers user sees K logits and must be told how they make one reward."""
    aggregate = describe_aggregate(ensemble.aggregate, ensemble.uwo_lambda)
    return (
        f"## An ensemble of {ensemble.members} members\n\n"
        f"The model gives {ensemble.members} logits per sequence, one per member "
        f"(`member_0` ... `member_{ensemble.members - 1}`): heads on one shared backbone, each trained on its own "
        "bootstrap resample of the preference pairs.\n\n"
        f"**The reward is {aggregate}** (`aggregate: {ensemble.aggregate}` in `config.json`'s `rmexp_ensemble`; "
        "variance over the members, divided by their number). `rmexp-score` and `rmexp-eval` apply it and "
        "`rmexp-score` writes the members' rewards beside it.\n\n"
        "```python\n"
        "mean = logits.mean(-1)\n"
        "worst_case = logits.min(-1).values\n"
        f"uncertainty_weighted = mean - {ensemble.uwo_lambda:g} * logits.var(-1, unbiased=False)\n"
        "```\n"
    )


def training_section(training: TrainingRecord) -> str:
    rows = [("base model", training.base_model), ("data", training.data), ("loss", training.loss)]
    rows += [(name, str(value)) for name, value in training.settings.items()]
    lines = ["## Training\n", "| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    where = "\n\nThe run's whole config is `config.yaml` in its run folder (the parent of this one).\n"
    return "\n".join(lines) + where


def results_section(training: TrainingRecord) -> str:
    """The results table's test metrics with their intervals, then what the length diagnostics mean."""
    lines = ["## Test results\n", "| metric | test | 95% interval (prompts resampled) |", "|---|---|---|"]
    for key, label in TABLE_METRICS.items():
        value = training.metrics.get(f"test/{key}")
        if value is None or math.isnan(value):
            continue
        low, high = training.intervals.get(f"test/{key}", (math.nan, math.nan))
        interval = "-" if math.isnan(low) else f"[{low:.4f}, {high:.4f}]"
        lines.append(f"| {label} | {value:.4f} | {interval} |")
    if len(lines) == 3:
        return "## Test results\n\nThe run reported no test metrics.\n"
    return "\n".join(lines) + "\n\n" + length_note(training.metrics) + "\n"


def length_note(metrics: dict[str, float]) -> str:
    """What a reader should take from the length diagnostics, in words, from the numbers that are there."""
    values = {key: metrics.get(f"test/{key}", math.nan) for key in LENGTH_METRICS}
    present = {key: value for key, value in values.items() if not math.isnan(value)}
    notes = []
    if "longer_preferred_rate" in present:
        notes.append(
            f"Picking the longer response scores {present['longer_preferred_rate']:.3f} on these pairs: the bar a "
            "reward model must clear before its accuracy says anything about quality."
        )
    if "accuracy_length_matched" in present:
        notes.append(
            f"On pairs whose lengths differ by at most 10% it scores {present['accuracy_length_matched']:.3f}, "
            "the part of its accuracy length cannot explain."
        )
    if "length_partial_corr" in present:
        notes.append(
            f"Its reward correlates with length at {present['length_partial_corr']:.3f} once the gold reward is "
            "held fixed: length it rewards for its own sake."
        )
    elif "length_corr" in present:
        notes.append(f"Its reward correlates with length at {present['length_corr']:.3f}.")
    return "**Length.** " + " ".join(notes) if notes else ""


def training_record(
    cfg: DictConfig, backbone: PreTrainedModel, summary: dict[str, Any], intervals: dict[str, list[float]]
) -> TrainingRecord:
    """The card's record of a finished run: its options (Hydra's choices where Hydra composed it), settings
    and test results."""
    choices = dict(HydraConfig.get().runtime.choices) if HydraConfig.initialized() else {}
    source = getattr(backbone.config, "_name_or_path", "")
    size = sum(parameter.numel() for parameter in backbone.parameters())
    base = source or f"none: a randomly initialised {backbone.config.model_type} ({size:,} parameters)"
    data_source = cfg.data.get("path") or (
        f"the synthetic lab, {cfg.data.lab.num_prompts} prompts, seed {cfg.seed}" if "lab" in cfg.data else ""
    )
    loss_fn = cfg.loss.get("loss_fn", {}).get("_target_", "")
    return TrainingRecord(
        base_model=with_option(base, "model", choices),
        data=with_option(str(data_source), "data", choices),
        loss=with_option(loss_fn.rsplit(".", 1)[-1], "loss", choices),
        settings={
            "seed": cfg.seed,
            "epochs": summary.get("epochs"),
            "optimiser steps": summary.get("steps"),
            "batch size": cfg.data.get("batch_size"),
            "learning rate": cfg.optimizer.get("lr"),
            "precision": cfg.trainer.get("precision"),
            "checkpoint": "the best by val/loss" if summary.get("best_checkpoint") else "the last",
        },
        metrics={key: value for key, value in summary.get("metrics", {}).items() if key.startswith("test/")},
        intervals=intervals,
    )


def with_option(what: str, group: str, choices: dict[str, Any]) -> str:
    option = choices.get(group)
    return f"{what} ({group}={option})" if option else what
