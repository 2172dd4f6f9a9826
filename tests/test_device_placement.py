"""Every tensor the code makes from a batch lives on the batch's device: caught on a CPU, for the GPU.

CI has no GPU, so a tensor made on the default device (the CPU) beside CUDA inputs would only crash
on the first GPU that runs it. Here the default device is `meta` while the model and its batches
are real CPU tensors: a factory that ignores its inputs' device (`torch.zeros(n)`, `torch.tensor(x)`,
`torch.arange(n)`) makes a meta tensor, which either fails at once when it meets a CPU tensor or comes
out on the wrong device, which the tests assert against. It is what a CUDA run sees, with `meta` in
the place of the CPU.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import torch
from torch import Tensor

from rmexp.models.shared_prefix import pack_groups
from rmexp.train import build

from .conftest import SMALL_LAB


@contextmanager
def factories_elsewhere() -> Iterator[None]:
    """A tensor made without a device, inside, lands on `meta`: nowhere the inputs are."""
    with torch.device("meta"):
        yield


def tensors_in(value, name: str = "") -> Iterator[tuple[str, Tensor]]:
    """(name, tensor) of every tensor in nested dicts, lists, tuples and dataclasses."""
    if isinstance(value, Tensor):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from tensors_in(item, f"{name}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from tensors_in(item, f"{name}[{index}]")
    elif hasattr(value, "__dataclass_fields__"):
        for field in value.__dataclass_fields__:
            yield from tensors_in(getattr(value, field), f"{name}.{field}")


def assert_on_cpu(value, what: str) -> None:
    misplaced = [name for name, tensor in tensors_in(value) if tensor.device.type != "cpu"]
    assert not misplaced, f"{what}: {misplaced} made off the inputs' device"


def test_the_check_catches_a_tensor_made_on_the_default_device():
    """The calibration bug of the first GPU run, in miniature: a bin total made with torch.zeros(n)."""
    index, values = torch.tensor([0, 1, 1]), torch.tensor([0.2, 0.7, 0.9])
    with factories_elsewhere(), pytest.raises(RuntimeError, match="device"):
        torch.zeros(2).index_add_(0, index, values)


# a random head, so the rewards differ; the first case's zero head gives the constant rewards of an untrained RM
FAMILIES = {
    "bt, untrained": ["loss=bt", "model.reward_model.head_init_std=0"],
    "bt": ["loss=bt"],
    "bt, separate rows": ["loss=bt", "model.reward_model.share_prefix=false"],
    "bt_margin": ["loss=bt_margin"],
    "bt ensemble, uwo": ["model.reward_model.ensemble.members=3", "model.reward_model.ensemble.aggregate=uwo"],
    "pointwise": ["loss=pointwise_mse", "loss.score_normalization=annotator"],
    "listwise": ["loss=listwise_pairs"],
    "plackett_luce": ["loss=plackett_luce"],
    "encoder": ["loss=bt", "model.reward_model.architecture=bert", "model.reward_model.pooling=mean"],
}
EVERY_REGULARIZER = ["loss.center_coef=0.1", "loss.l2_coef=0.1", "loss.length_decorrelation_coef=0.1"]


@pytest.mark.parametrize("family", FAMILIES)
def test_training_and_evaluation_make_every_tensor_on_the_batch_device(compose_train, family):
    module, datamodule = build(
        compose_train("model.reward_model.head_init_std=0.5", *FAMILIES[family], *EVERY_REGULARIZER, *SMALL_LAB)
    )
    datamodule.setup("fit")
    train_batch = next(iter(datamodule.train_dataloader()))
    val_batches = list(datamodule.val_dataloader())
    with factories_elsewhere():
        main_loss, rewards, metrics = module.training_loss(train_batch)
        penalty, penalties = module.regularization(rewards, train_batch["response_length"].flatten())
        (main_loss + penalty).backward()
        assert_on_cpu([main_loss, rewards, metrics, penalty, penalties], "training_loss and regularization")
        with torch.no_grad():
            batches = [module.evaluation_outputs(batch) for batch in val_batches]
        outputs = {key: torch.cat([batch[key] for batch in batches]) for key in batches[0]}
        assert_on_cpu(outputs, "evaluation_outputs")
        assert_on_cpu(module.evaluation_metrics(outputs), "evaluation_metrics")
        assert_on_cpu(module.response_table(outputs), "response_table")
        assert_on_cpu(module.preferred_gaps(outputs), "preferred_gaps")
    assert all(parameter.grad is None or parameter.grad.device.type == "cpu" for parameter in module.parameters())


def test_packing_a_prompt_s_responses_stays_on_the_batch_device():
    input_ids = torch.tensor([[5, 6, 7, 8, 0], [5, 6, 9, 0, 0], [5, 1, 2, 3, 4], [5, 1, 0, 0, 0]])
    attention_mask, groups = (input_ids != 0).long(), torch.tensor([[0, 1], [2, 3]])
    with factories_elsewhere():
        packed = pack_groups(input_ids, attention_mask, groups)
        assert_on_cpu([packed, packed.attention_allowed()], "pack_groups")
