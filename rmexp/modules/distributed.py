"""A split's per-example outputs from every process of a data-parallel run, each example once.

Under DDP, Lightning hands each of the W processes a DistributedSampler's share of an evaluation
split: rank r gets positions r, r + W, r + 2W, ... of the one-process order, and the first few
examples again at the end so that every rank gets as many. Metrics such as accuracy or a
correlation must be computed over the whole split, not averaged over ranks (shares of unequal
worth), so the shares are gathered, interleaved back into the one-process order and cut to the
split's size, which drops the repeated examples.
"""

from pytorch_lightning import LightningModule
from torch import Tensor


def gather_split(module: LightningModule, outputs: dict[str, Tensor], split: str) -> dict[str, Tensor]:
    """`outputs` (this rank's, first dimension per example) for every example of `split` ("val" or "test"), in order.

    A no-op in a single process. Every rank's share has the same length (the sampler's padding), so
    `all_gather` stacks them as [W, n, ...]; position i of rank r is example r + i * W.
    """
    trainer = module.trainer
    if trainer.world_size == 1:
        return outputs
    loader = trainer.val_dataloaders if split == "val" else trainer.test_dataloaders
    gathered = module.all_gather(outputs)
    return {
        key: value.transpose(0, 1).reshape(-1, *value.shape[2:])[: len(loader.dataset)]
        for key, value in gathered.items()
    }
