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
from transformers import PreTrainedTokenizerBase

from rmexp.data import cache
from rmexp.data.conversions import check_view, conversion_name, to_view
from rmexp.data.datamodule import RewardDataModule
from rmexp.data.encoding import MaxLength
from rmexp.data.formats.base import RowFormat
from rmexp.data.length_batching import LengthGroupedSampler, padding_fraction
from rmexp.data.readers import read_splits
from rmexp.data.report import length_percentiles, print_report
from rmexp.data.splits import SPLITS, assign_splits
from rmexp.data.validation import OnError, parse_rows
from rmexp.data.views import View
from rmexp.errors import UserError

Fraction = Annotated[float, Field(ge=0, lt=1)]
PositiveInt = Annotated[int, Field(gt=0)]


class FileDataModule(RewardDataModule):
    """A JSON Lines, JSON, Parquet, CSV file or a datasets folder, parsed by `format`.

    `view` comes from the loss (train.py passes `module.view`); data that cannot feed it fails here,
    at configuration time, naming the losses that fit. `split_seed` is apart from `seed` (which only
    shuffles batches), so the runs of a seed sweep share one test set and one cache entry.
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
        if path is None:
            raise UserError("data.path is not set: give the data file or folder, e.g. data.path=my_pairs.jsonl")
        if val_fraction + test_fraction >= 1:
            raise UserError("data.val_fraction + data.test_fraction must leave a training split (sum < 1)")
        check_view(format.record, view, path)
        super().__init__(
            tokenizer, view, batch_size, eval_batch_size, max_length, group_by_length, shared_prefix, num_workers, seed
        )
        self.path, self.format, self.cache_dir = Path(path), format, cache_dir
        self.on_error, self.min_score_gap = on_error, min_score_gap
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
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
        for logger in self.trainer.loggers if self.trainer is not None else []:
            logger.log_hyperparams({"data_report": self.report})

    def native_splits(self) -> tuple[dict[str, list], dict[str, Any]]:
        """Read, check and split by prompt: each split's records in the file's own shape, and the report's part."""
        source = str(self.path)
        own_splits = read_splits(self.path, self.cache_dir)
        parse = partial(self.format.parse, tokenizer=self.tokenizer)
        parsed, dropped = {}, Counter()
        for name, rows in own_splits.items():
            parsed[name], dropped_here = parse_rows(rows, parse, source, self.on_error)
            dropped += dropped_here
        native, origin = assign_splits(parsed, self.val_fraction, self.test_fraction, self.split_seed, source)
        return native, {
            "rows_read": sum(len(rows) for rows in own_splits.values()),
            "rows_kept": sum(len(records) for records in parsed.values()),
            "dropped_by_reason": dict(dropped.most_common()),
            "splits": origin,
        }

    def converted(self, native: dict[str, list], view: View) -> tuple[dict[str, list], Counter]:
        """Each split's records in `view`'s shape, and how many the conversion left out, by reason."""
        source = str(self.path)
        examples, left_out = {}, Counter()
        for split in SPLITS:
            examples[split], left_out_here = to_view(self.format.record, native[split], view, self.min_score_gap)
            left_out += left_out_here
            if not examples[split]:
                raise UserError(f"{source}: the {split} split has no {view} examples after conversion")
        if view == "listwise":
            sizes = {len(record.responses) for split in SPLITS for record in examples[split]}
            if len(sizes) > 1:
                raise UserError(f"{source}: the listwise view needs lists of one size; this data has {sorted(sizes)}")
        return examples, left_out

    def split_records(self, view: View) -> dict[str, list]:
        return self.converted(self.native_splits()[0], view)[0]

    def build(self) -> dict[str, Any]:
        """Read, check, split, convert and tokenize: the part worth caching, and its report."""
        native, read_report = self.native_splits()
        examples, left_out = self.converted(native, self.view)
        built = self.tokenized(examples)
        every = [example for split in SPLITS for example in built["lengths"][split]]
        truncated = sum(example.truncated(self.max_length) for example in every)
        report = {
            "source": str(self.path),
            "format": type(self.format).__name__,
            **{key: read_report[key] for key in ("rows_read", "rows_kept", "dropped_by_reason")},
            "view": self.view,
            "conversion": conversion_name(self.format.record, self.view),
            **{name: left_out[name] for name in ("ties", "below_min_gap") if name in left_out},
            "splits": read_report["splits"],
            "prompts": {split: len({record.prompt for record in native[split]}) for split in SPLITS},
            "examples": {split: len(examples[split]) for split in SPLITS},
            "sequence_tokens": length_percentiles([length for example in every for length in example.full]),
            "response_tokens": length_percentiles([length for example in every for length in example.response]),
            "max_length": self.max_length,
            "truncated_examples": truncated,
            "truncated_fraction": truncated / len(every),
        }
        return {**built, "report": report}

    def padding_report(self) -> dict[str, float]:
        """Padding in the training batches of one epoch, grouped by length and in random order."""
        lengths = [example.padded_to(self.max_length) for example in self.lengths["train"]]
        grouped = list(LengthGroupedSampler(self.longest("train"), self.batch_size, shuffle=True, seed=self.seed))
        shuffled = np.random.default_rng(self.seed).permutation(len(lengths))
        return {
            "length_grouped": padding_fraction(grouped, self.batch_size, lengths),
            "random": padding_fraction(shuffled, self.batch_size, lengths),
        }
