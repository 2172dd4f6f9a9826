"""What every source of reward data shares: from a split's records to the batches a loss family trains on.

A source (a data file, the lab) says only which records each split holds in the view asked for
(`split_records`). The base measures them, tokenizes them into the view's dataset, and serves them
in batches grouped by length when asked, by the packed row's width for a model that shares the
prompt. So a new source is one method, and every consumer (training, evaluation, the bench) reads
any source the same way.
"""

from typing import Any

from pytorch_lightning import LightningDataModule
from torch.utils.data import DataLoader
from transformers import PreTrainedTokenizerBase

from rmexp.data.length_batching import data_loader
from rmexp.data.splits import SPLITS
from rmexp.data.token_lengths import ExampleLengths, measure
from rmexp.data.views import View, make_dataset


class RewardDataModule(LightningDataModule):
    """The records of train, val and test, tokenized for `view` and batched.

    `shared_prefix` (train.py passes the model's): batches are grouped by the width of an example
    packed into one row, which is what a model that shares the prompt pays for, not by its longest
    sequence. `seed` orders the training batches, epoch by epoch.
    """

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        view: View,
        batch_size: int,
        eval_batch_size: int,
        max_length: int,
        group_by_length: bool,
        shared_prefix: bool,
        num_workers: int,
        seed: int,
    ):
        super().__init__()
        self.tokenizer, self.view = tokenizer, view
        self.batch_size, self.eval_batch_size, self.max_length = batch_size, eval_batch_size, max_length
        self.group_by_length, self.shared_prefix = group_by_length, shared_prefix
        self.num_workers, self.seed = num_workers, seed
        self.datasets: dict = {}
        self.lengths: dict[str, list[ExampleLengths]] = {}

    def split_records(self, view: View) -> dict[str, list]:
        """The records of each split in `view`'s shape (rmexp/data/records.py): what a source provides."""
        raise NotImplementedError

    def tokenized(self, records: dict[str, list]) -> dict[str, Any]:
        """Every split's untruncated lengths (for batching and the report) and its tokenized dataset."""
        return {
            "lengths": {split: measure(records[split], self.tokenizer) for split in SPLITS},
            "datasets": {
                split: make_dataset(self.view, records[split], self.tokenizer, self.max_length) for split in SPLITS
            },
        }

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        built = self.tokenized(self.split_records(self.view))
        self.datasets, self.lengths = built["datasets"], built["lengths"]

    def longest(self, split: str) -> list[int]:
        """Each example's longest sequence after truncation: what its batch is padded to."""
        return [max(example.padded_to(self.max_length)) for example in self.lengths[split]]

    def batch_lengths(self, split: str) -> list[int]:
        """What each example's batch pays for: its packed row's width, or its longest sequence."""
        if self.shared_prefix and hasattr(self.datasets[split], "packed_lengths"):
            return self.datasets[split].packed_lengths()
        return self.longest(split)

    def _loader(self, split: str, batch_size: int, shuffle: bool) -> DataLoader:
        lengths = self.batch_lengths(split) if self.group_by_length else None
        return data_loader(self.datasets[split], batch_size, shuffle, self.num_workers, lengths, self.seed)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", self.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", self.eval_batch_size, shuffle=False)
