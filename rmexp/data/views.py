"""The data view a loss family trains on, and the dataset that tokenizes its records.

A LightningModule names its view (`PairwiseRewardModule.view == "pairwise"`); a data source hands
over records of that shape (see `records.py`), and `make_dataset` tokenizes them. Every dataset
has a `collate` for its DataLoader and a `truncated` count for the data report.
"""

from typing import Literal

from transformers import PreTrainedTokenizerBase

from rmexp.data.listwise_dataset import ListwiseDataset
from rmexp.data.pairwise_dataset import PairwiseDataset
from rmexp.data.pointwise_dataset import PointwiseDataset

View = Literal["pairwise", "pointwise", "listwise"]
DATASETS = {"pairwise": PairwiseDataset, "pointwise": PointwiseDataset, "listwise": ListwiseDataset}


def make_dataset(view: View, records: list, tokenizer: PreTrainedTokenizerBase, max_length: int):
    return DATASETS[view](records, tokenizer, max_length)
