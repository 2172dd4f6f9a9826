"""Preference data from a local file, served in the view the loss asks for.

The path from file to batch: read the rows (`readers`), parse and check each one with the
configured format (`formats/`, `validation`), split by prompt (`splits`), convert to the loss's view
(`conversions`), tokenize (`views.make_dataset`), and batch by length (`length_batching`). Everything
up to the tokenized datasets is cached on disk (`cache`); the data report (`report`) says what
happened on the way.
"""

from collections import Counter
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import ConfigDict, Field, validate_call
from pytorch_lightning import LightningDataModule
from torch.utils.data import DataLoader
from transformers import PreTrainedTokenizerBase

from rmexp.data import cache
from rmexp.data.conversions import check_view, conversion_name, to_view
from rmexp.data.encoding import MaxLength
from rmexp.data.formats.base import RowFormat
from rmexp.data.length_batching import LengthGroupedSampler, data_loader, padding_fraction
from rmexp.data.readers import read_splits
from rmexp.data.report import length_percentiles, print_report
from rmexp.data.splits import SPLITS, assign_splits
from rmexp.data.token_lengths import ExampleLengths, measure
from rmexp.data.validation import OnError, parse_rows
from rmexp.data.views import View, make_dataset
from rmexp.errors import UserError

Fraction = Annotated[float, Field(ge=0, lt=1)]
PositiveInt = Annotated[int, Field(gt=0)]


class FileDataModule(LightningDataModule):
    """A JSON Lines, JSON, Parquet, CSV file or a datasets folder, parsed by `format`.

    `view` comes from the loss (train.py passes `module.view`); data that cannot feed it fails here,
    at configuration time, naming the losses that fit. `split_seed` is apart from `seed` (which only
    shuffles batches), so the runs of a seed sweep share one test set and one cache entry.
    `shared_prefix` (train.py passes the model's): batches are grouped by the width of a pair packed
    into one row, which is what a model that shares the prompt pays for, not by its longer sequence.
    """

    @validate_call(config=ConfigDict(arbitrary_types_allowed=True))
    def __init__(
        self,
        path: str | None,
        format: RowFormat,
        tokenizer: PreTrainedTokenizerBase,
        view: View = "pairwise",
        on_error: OnError = "raise",
        min_score_gap: Annotated[float, Field(ge=0)] = 0.0,
        val_fraction: Fraction = 0.1,
        test_fraction: Fraction = 0.1,
        split_seed: int = 0,
        batch_size: PositiveInt = 32,
        eval_batch_size: PositiveInt = 128,
        max_length: MaxLength = 512,
        group_by_length: bool = True,
        shared_prefix: bool = False,
        num_workers: Annotated[int, Field(ge=0)] = 0,
        seed: int = 0,
        cache_dir: str | None = None,
    ):
        super().__init__()
        if path is None:
            raise UserError("data.path is not set: give the data file or folder, e.g. data.path=my_pairs.jsonl")
        if val_fraction + test_fraction >= 1:
            raise UserError("data.val_fraction + data.test_fraction must leave a training split (sum < 1)")
        check_view(format.record, view, path)
        self.path, self.format, self.tokenizer, self.view = Path(path), format, tokenizer, view
        self.on_error, self.min_score_gap = on_error, min_score_gap
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self.batch_size, self.eval_batch_size, self.max_length = batch_size, eval_batch_size, max_length
        self.group_by_length, self.num_workers, self.seed, self.cache_dir = (
            group_by_length,
            num_workers,
            seed,
            cache_dir,
        )
        self.shared_prefix = shared_prefix
        self.datasets: dict = {}
        self.lengths: dict[str, list[ExampleLengths]] = {}
        self.report: dict[str, Any] = {}

    def cache_config(self) -> dict[str, Any]:
        """Every setting that changes the tokenized datasets; batch sizes, workers and `seed` do not."""
        return {
            "path": str(self.path.resolve()),
            "format": {"type": type(self.format).__qualname__, **asdict(self.format)},
            "view": self.view,
            "on_error": self.on_error,
            "min_score_gap": self.min_score_gap,
            "fractions": (self.val_fraction, self.test_fraction),
            "split_seed": self.split_seed,
            "max_length": self.max_length,
        }

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        key = cache.cache_key(self.cache_config(), self.path, self.tokenizer) if self.cache_dir else None
        built = cache.load(self.cache_dir, key) if key else None
        hit = built is not None
        if built is None:
            built = self.build()
            if key:
                cache.save(self.cache_dir, key, built)
        self.datasets, self.lengths = built["datasets"], built["lengths"]
        cache_state = (
            "off" if key is None else f"{'hit' if hit else 'miss, saved to'} {cache.entry_path(self.cache_dir, key)}"
        )
        self.report = {**built["report"], "padding_fraction": self.padding_report(), "cache": cache_state}
        print_report(self.report)
        if self.trainer is not None and self.trainer.logger is not None:
            self.trainer.logger.log_hyperparams({"data_report": self.report})

    def build(self) -> dict[str, Any]:
        """Read, check, split, convert and tokenize: the part worth caching, and its report."""
        source = str(self.path)
        own_splits = read_splits(self.path, self.cache_dir)
        parse = partial(self.format.parse, tokenizer=self.tokenizer)
        parsed, dropped = {}, Counter()
        for name, rows in own_splits.items():
            parsed[name], dropped_here = parse_rows(rows, parse, source, self.on_error)
            dropped += dropped_here
        native, origin = assign_splits(parsed, self.val_fraction, self.test_fraction, self.split_seed, source)
        examples, left_out = {}, Counter()
        for split in SPLITS:
            examples[split], left_out_here = to_view(self.format.record, native[split], self.view, self.min_score_gap)
            left_out += left_out_here
            if not examples[split]:
                raise UserError(f"{source}: the {split} split has no {self.view} examples after conversion")
        if self.view == "listwise":
            sizes = {len(record.responses) for split in SPLITS for record in examples[split]}
            if len(sizes) > 1:
                raise UserError(f"{source}: the listwise view needs lists of one size; this data has {sorted(sizes)}")
        lengths = {split: measure(examples[split], self.tokenizer) for split in SPLITS}
        datasets = {
            split: make_dataset(self.view, examples[split], self.tokenizer, self.max_length) for split in SPLITS
        }
        every = [example for split in SPLITS for example in lengths[split]]
        truncated = sum(example.truncated(self.max_length) for example in every)
        report = {
            "source": source,
            "format": type(self.format).__name__,
            "rows_read": sum(len(rows) for rows in own_splits.values()),
            "rows_kept": sum(len(records) for records in parsed.values()),
            "dropped_by_reason": dict(dropped.most_common()),
            "view": self.view,
            "conversion": conversion_name(self.format.record, self.view),
            **{name: left_out[name] for name in ("ties", "below_min_gap") if name in left_out},
            "splits": origin,
            "prompts": {split: len({record.prompt for record in native[split]}) for split in SPLITS},
            "examples": {split: len(examples[split]) for split in SPLITS},
            "sequence_tokens": length_percentiles([length for example in every for length in example.full]),
            "response_tokens": length_percentiles([length for example in every for length in example.response]),
            "max_length": self.max_length,
            "truncated_examples": truncated,
            "truncated_fraction": truncated / len(every),
        }
        return {"datasets": datasets, "lengths": lengths, "report": report}

    def padding_report(self) -> dict[str, float]:
        """Padding in the training batches of one epoch, grouped by length and in random order."""
        lengths = [example.padded_to(self.max_length) for example in self.lengths["train"]]
        grouped = list(LengthGroupedSampler(self._longest("train"), self.batch_size, shuffle=True, seed=self.seed))
        shuffled = np.random.default_rng(self.seed).permutation(len(lengths))
        return {
            "length_grouped": padding_fraction(grouped, self.batch_size, lengths),
            "random": padding_fraction(shuffled, self.batch_size, lengths),
        }

    def _longest(self, split: str) -> list[int]:
        """Each example's longest sequence after truncation: what its batch is padded to."""
        return [max(example.padded_to(self.max_length)) for example in self.lengths[split]]

    def _batch_lengths(self, split: str) -> list[int]:
        """What each example's batch pays for: its packed row's width, or its longest sequence."""
        if self.shared_prefix and hasattr(self.datasets[split], "packed_lengths"):
            return self.datasets[split].packed_lengths()
        return self._longest(split)

    def _loader(self, split: str, batch_size: int, shuffle: bool) -> DataLoader:
        lengths = self._batch_lengths(split) if self.group_by_length else None
        return data_loader(self.datasets[split], batch_size, shuffle, self.num_workers, lengths, self.seed)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", self.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", self.eval_batch_size, shuffle=False)
