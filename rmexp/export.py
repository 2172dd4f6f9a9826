"""A trained reward model in and out of rmexp: a transformers folder anyone can load, and the loaders.

`export_reward_model` writes an `AutoModelForSequenceClassification` folder (safetensors) with the
tokenizer, so `AutoModelForSequenceClassification.from_pretrained(folder)` gives the rewards rmexp
gives, to float precision, without rmexp installed. Exact exports are those whose computation the
transformers class repeats step for step:

- decoders read at the last token (`pooling: last`; Llama, Mistral, Qwen2, ... whose
  `*ForSequenceClassification` score the rightmost non-pad token with a bias-free `score` layer);
- only with a zero head bias. The pairwise and listwise losses see only reward differences, so their
  modules freeze the bias at its zero start; a pointwise regression learns one, and such a model is
  refused rather than exported with every reward off by a constant.

- encoders read through their own [CLS] pooler (`pooling: pooler`), as BertForSequenceClassification
  reads them: pooler, dropout, then a linear classifier (with a bias, so any family exports).

Encoders pooled by `first` or `mean` are refused: BERT's classifier puts a tanh pooler after [CLS],
and no transformers class pools by the mean. LoRA adapters are merged into a copy of the weights
first. Every export scores a probe pair with both models and is written only if they agree.
"""

import copy
import pickle
from pathlib import Path
from typing import Any

import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pydantic import ValidationError
from safetensors import SafetensorError
from torch import Tensor, nn
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedTokenizerBase
from transformers.modeling_layers import GenericForSequenceClassification
from transformers.utils import logging as transformers_logging

from rmexp.errors import UserError, describe_user_error, first_line
from rmexp.model_card import TrainingRecord, model_card
from rmexp.models.ensemble import EnsembleRewardModel, EnsembleSettings, MemberAggregation
from rmexp.models.fine_tuning import merged_backbone
from rmexp.models.reward_model import RewardModel
from rmexp.run_folder import load_run_config, read_summary

BIAS_TOLERANCE = 1e-7
PROBE_TOLERANCE = 1e-4


class ExportError(UserError):
    """This reward model has no exact transformers equivalent; the message says why."""


def export_reward_model(
    model: RewardModel, tokenizer: PreTrainedTokenizerBase, folder: str | Path, training: TrainingRecord | None = None
) -> Path:
    """Save `model` as a transformers sequence-classification folder with `tokenizer` and its model card
    (README.md: how to load it, and what `training` recorded); see the module doc."""
    backbone = merged_backbone(model.backbone)
    architecture = backbone.config.model_type
    if model.pooling not in ("last", "pooler"):
        raise ExportError(
            f"model.reward_model.pooling={model.pooling!r} ({architecture}): only `last` (decoders) and `pooler` "
            "(BERT-style encoders) export exactly; no transformers sequence classifier pools by the first "
            "token without BERT's tanh pooler, or by the mean"
        )
    bias = float(model.head.bias.detach().abs().max())  # one per member for an ensemble
    if model.pooling == "last" and abs(bias) > BIAS_TOLERANCE:
        raise ExportError(
            f"the reward head has a bias of {bias:.6g}, which {architecture}'s bias-free `score` layer cannot "
            "hold; a pointwise loss learns one (the pairwise and listwise families keep it at 0)"
        )
    if tokenizer.pad_token_id is None:
        raise ExportError("the tokenizer has no pad token, so the exported model could not find the last token")
    config = copy.deepcopy(backbone.config)
    config.num_labels, config.problem_type, config.pad_token_id = (
        model.head.out_features,
        "regression",
        tokenizer.pad_token_id,
    )
    if isinstance(model, EnsembleRewardModel):  # one label per member; the aggregation rides in config.json
        config.id2label = {member: f"member_{member}" for member in range(config.num_labels)}
        config.label2id = {name: member for member, name in config.id2label.items()}
        config.rmexp_ensemble = model.ensemble.model_dump(include={"members", "aggregate", "uwo_lambda"})
    config.architectures = None
    classifier = AutoModelForSequenceClassification.from_config(config).eval()
    base = getattr(classifier, classifier.base_model_prefix)
    head = reward_layer(classifier, model.pooling)
    base.load_state_dict(backbone.state_dict())
    with torch.no_grad():
        head.weight.copy_(model.head.weight)
        if head.bias is not None:
            head.bias.copy_(model.head.bias)
    check_same_rewards(model, classifier, tokenizer)
    folder = Path(folder)
    transformers_logging.disable_progress_bar()  # a one-file model needs no bar of its own in the run's output
    classifier.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    ensemble = model.ensemble if isinstance(model, EnsembleRewardModel) else None
    (folder / "README.md").write_text(model_card(ensemble, training), encoding="utf-8")
    return folder


def reward_layer(classifier: nn.Module, pooling: str) -> nn.Linear:
    """The classifier's linear layer that plays the reward head, when the rest of its path is rmexp's."""
    if pooling == "last" and isinstance(classifier, GenericForSequenceClassification):
        return classifier.score
    base = getattr(classifier, classifier.base_model_prefix)
    if pooling == "pooler" and isinstance(getattr(classifier, "classifier", None), nn.Linear) and base.pooler:
        return classifier.classifier  # BertForSequenceClassification: pooler -> dropout -> classifier
    reads = "the last token" if pooling == "last" else "the [CLS] pooler"
    raise ExportError(f"{type(classifier).__name__} does not score {reads} with a linear layer alone")


def check_same_rewards(model: RewardModel, classifier: nn.Module, tokenizer: PreTrainedTokenizerBase) -> None:
    """Score a probe pair with both: the folder is written only when the classifier repeats rmexp's rewards."""
    probe = tokenizer(["a probe prompt"], ["and a longer probe response"], return_tensors="pt")
    device = next(model.parameters()).device  # a model still on the GPU it trained on is probed there
    inputs = {"input_ids": probe["input_ids"].to(device), "attention_mask": probe["attention_mask"].to(device)}
    classifier.to(device)
    was_training = model.training
    with torch.no_grad():
        expected = model.eval()(**inputs).float()
        exported = exported_model(classifier)(**inputs).float()
    model.train(was_training)
    if not torch.allclose(exported, expected, atol=PROBE_TOLERANCE, rtol=PROBE_TOLERANCE):
        raise ExportError(
            f"{type(classifier).__name__} gives {exported.item():.6g} where rmexp gives {expected.item():.6g} "
            "on a probe pair; not exported"
        )


class ExportedRewardModel(nn.Module):
    """An exported folder behind RewardModel's interface: (input_ids, attention_mask) -> rewards [B]."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.classifier(input_ids=input_ids, attention_mask=attention_mask).logits.squeeze(-1)


class ExportedEnsemble(MemberAggregation, ExportedRewardModel):
    """An exported ensemble: K logits, the members' rewards, aggregated as its config.json's `rmexp_ensemble` says."""

    def __init__(self, classifier: nn.Module):
        super().__init__(classifier)
        try:
            self.ensemble = EnsembleSettings.model_validate(classifier.config.rmexp_ensemble)
        except ValidationError as error:
            raise UserError(
                f"{classifier.config.name_or_path}/config.json: rmexp_ensemble={classifier.config.rmexp_ensemble!r} "
                f"is not an ensemble's aggregation ({first_line(error)}...); expected members, aggregate "
                "(mean, min or uwo) and uwo_lambda"
            ) from None

    def member_rewards(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.classifier(input_ids=input_ids, attention_mask=attention_mask).logits


def exported_model(classifier: nn.Module) -> ExportedRewardModel:
    """The classifier behind RewardModel's interface: an ensemble where its config names one (rmexp_ensemble)."""
    if getattr(classifier.config, "rmexp_ensemble", None):
        return ExportedEnsemble(classifier)
    return ExportedRewardModel(classifier)


def load_reward_model(path: str | Path) -> tuple[nn.Module, PreTrainedTokenizerBase]:
    """The reward model and tokenizer of an exported folder, a run folder or a Lightning checkpoint.

    A checkpoint is rebuilt from the `config.yaml` of its run folder (`<run>/checkpoints/x.ckpt`), so
    its architecture need not be given again; a run folder means its best checkpoint. Nothing read
    runs code: the config builds only rmexp's own targets (rmexp/run_folder.py), a checkpoint holds
    tensors and plain values, an export safetensors; and weights that do not fill the model exactly
    are refused, never left at their random start.
    """
    path = Path(path)
    if (path / "config.json").is_file():
        return load_exported(path)
    checkpoint = best_checkpoint(path) if path.is_dir() else path
    if not checkpoint.is_file() or checkpoint.suffix != ".ckpt":
        raise UserError(f"{path}: expected an exported model folder (with config.json), a run folder or a .ckpt file")
    run_config = checkpoint.parent.parent / "config.yaml"
    if not run_config.is_file():
        raise UserError(f"{checkpoint}: its run folder has no config.yaml ({run_config}) to rebuild the model from")
    cfg = load_run_config(run_config)
    tokenizer = built_from(cfg, "model.tokenizer", run_config)
    model = built_from(cfg, "model.reward_model", run_config, tokenizer=tokenizer)
    state = checkpoint_weights(checkpoint)
    try:
        model.load_state_dict({key.removeprefix("model."): value for key, value in state.items()})
    except RuntimeError as error:
        first_problem = str(error).split("\n\t")[1] if "\n\t" in str(error) else str(error)
        raise UserError(
            f"{checkpoint}: its weights do not fit the model its config.yaml describes ({run_config}): {first_problem}"
        ) from None
    return model.eval(), tokenizer


def load_exported(folder: Path) -> tuple[nn.Module, PreTrainedTokenizerBase]:
    """An export's classifier and tokenizer: safetensors only, no remote code, every weight present and used."""
    weights = folder / "model.safetensors"
    try:
        classifier, loading = AutoModelForSequenceClassification.from_pretrained(
            folder, output_loading_info=True, use_safetensors=True, trust_remote_code=False
        )
    except SafetensorError as error:
        raise UserError(f"{weights}: not a readable safetensors file ({error}); truncated or corrupted?") from None
    except (OSError, ValueError, RuntimeError) as error:
        raise UserError(f"{folder}: the exported model cannot be loaded ({first_line(error)})") from None
    wrong = {kind: sorted(loading[f"{kind}_keys"]) for kind in ("missing", "unexpected", "mismatched")}
    if any(wrong.values()):
        found = "; ".join(f"{kind}: {', '.join(map(str, keys))}" for kind, keys in wrong.items() if keys)
        raise UserError(
            f"{weights}: its weights do not fill {type(classifier).__name__} exactly ({found}); a missing weight "
            "would score with its random start"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    except (OSError, ValueError) as error:
        raise UserError(f"{folder}: the exported model's tokenizer files are missing or unreadable ({error})") from None
    return exported_model(classifier).eval(), tokenizer


def built_from(cfg: DictConfig, key: str, run_config: Path, **kwargs: Any) -> Any:
    """`instantiate` of one section of a run's config; a section that is missing or does not build names the file."""
    section = OmegaConf.select(cfg, key)
    if not OmegaConf.is_config(section):
        raise UserError(f"{run_config}: no {key} section; expected the config.yaml of an rmexp run")
    try:
        return instantiate(section, **kwargs)
    except InstantiationException as error:
        if describe_user_error(error) is not None:
            raise
        raise UserError(f"{run_config}: {key} cannot be built ({first_line(error)})") from None


def checkpoint_weights(checkpoint: Path) -> dict[str, Tensor]:
    """The checkpoint's state dict: tensors and plain values only, so a checkpoint from elsewhere runs no code."""
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    except (RuntimeError, pickle.UnpicklingError, EOFError, OSError, ValueError) as error:
        raise UserError(
            f"{checkpoint}: not a readable Lightning checkpoint ({first_line(error)}); truncated or corrupted?"
        ) from None
    except (KeyError, TypeError):
        raise UserError(f"{checkpoint}: holds no state_dict; expected a checkpoint that rmexp-train saved") from None
    return state


def best_checkpoint(run_dir: Path) -> Path:
    """The checkpoint validation chose (summary.json), else the last one saved."""
    chosen = read_summary(run_dir).get("best_checkpoint")
    # by name inside this folder: the summary's path may be relative to where training ran
    return run_dir / "checkpoints" / (Path(chosen).name if isinstance(chosen, str) and chosen else "last.ckpt")
