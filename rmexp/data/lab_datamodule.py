"""The lab as a LightningDataModule: draws the lab once and serves the view the loss asks for."""

from math import comb
from typing import Annotated, Literal

import numpy as np
from pydantic import ConfigDict, Field, validate_call
from transformers import PreTrainedTokenizerBase

from rmexp.data.conversions import rankings_to_pairs, ratings_to_pairs
from rmexp.data.datamodule import RewardDataModule
from rmexp.data.encoding import MaxLength
from rmexp.data.lab import LabData, LabSpec, generate
from rmexp.data.records import PreferencePair, RankedResponses, RatedResponse
from rmexp.data.splits import SPLITS
from rmexp.data.views import View
from rmexp.errors import UserError

# Where the pairwise view's train and val pairs come from: the lab's labelled pairs, every pair of
# its ranked lists (the pairs a listwise loss sees, one by one), or every two rated responses to one
# prompt (margin = the rating gap, as Llama 2).
PairSource = Literal["labels", "rankings", "ratings"]
# What `batch_size` counts for pairs drawn from rankings: pairs, or the lists they came from (each list
# giving its C(K,2) pairs), so that a step sees as many pairs as a listwise step and both take the same steps.
BatchUnit = Literal["examples", "lists"]


def lab_records(lab: LabData, split: str, view: View, pairs_from: PairSource = "labels") -> list:
    """The records of one split in the shape the view asks for, all drawn from the same responses."""
    if view == "pairwise":
        return lab_pairs_from(lab, split, pairs_from)
    return {"pointwise": lab_ratings, "listwise": lab_rankings}[view](lab, split)


def lab_pairs_from(lab: LabData, split: str, source: PairSource) -> list[PreferencePair]:
    """The pairs of one split from `source`; test keeps the gold-ordered pairs, so every source meets one test set."""
    if source == "labels" or split == "test":
        return lab_pairs(lab, split)
    if source == "rankings":
        return rankings_to_pairs(lab_rankings(lab, split))[0]
    return ratings_to_pairs(lab_ratings(lab, split), min_score_gap=0.0)[0]


def lab_pairs(lab: LabData, split: str) -> list[PreferencePair]:
    """The labelled pairs of one split (labelled by gold on test), with both responses' gold rewards."""
    in_split = lab.split_of_response(lab.pairs[:, 0]) == SPLITS.index(split)
    return [
        PreferencePair(
            prompt=lab.prompts[lab.response_prompt[chosen]],
            chosen=lab.responses[chosen],
            rejected=lab.responses[rejected],
            chosen_gold=float(lab.response_gold[chosen]),
            rejected_gold=float(lab.response_gold[rejected]),
        )
        for chosen, rejected in lab.pairs[in_split]
    ]


def lab_ratings(lab: LabData, split: str) -> list[RatedResponse]:
    """One annotator's 1-10 rating per response of the split, with the rater's id and the gold reward."""
    in_split = np.flatnonzero(lab.split_of_response(np.arange(len(lab.responses))) == SPLITS.index(split))
    return [
        RatedResponse(
            prompt=lab.prompts[lab.response_prompt[i]],
            response=lab.responses[i],
            score=float(lab.ratings[i]),
            annotator=f"annotator_{lab.rating_annotator[i]}",
            gold=float(lab.response_gold[i]),
        )
        for i in in_split
    ]


def lab_rankings(lab: LabData, split: str) -> list[RankedResponses]:
    """The ranked lists of the split (all responses by gold on test), best first."""
    return [
        RankedResponses(
            prompt=lab.prompts[lab.response_prompt[members[0]]],
            responses=[lab.responses[i] for i in members],
            ranks=list(range(len(members))),
            gold=[float(lab.response_gold[i]) for i in members],
        )
        for members in lab.rankings
        if lab.split_of_response(members[0]) == SPLITS.index(split)
    ]


class LabDataModule(RewardDataModule):
    """The lab, drawn once from its spec; the run's seed (the lab's, unless set apart) orders the batches."""

    @validate_call(config=ConfigDict(arbitrary_types_allowed=True))
    def __init__(
        self,
        lab: LabSpec,
        tokenizer: PreTrainedTokenizerBase,
        view: View = "pairwise",
        batch_size: Annotated[int, Field(gt=0)] = 32,
        eval_batch_size: Annotated[int, Field(gt=0)] = 128,
        max_length: MaxLength = 128,
        group_by_length: bool = False,
        shared_prefix: bool = False,
        num_workers: Annotated[int, Field(ge=0)] = 0,
        pairs_from: PairSource = "labels",
        batch_unit: BatchUnit = "examples",
    ):
        super().__init__(
            tokenizer, view, batch_size, eval_batch_size, max_length, group_by_length, shared_prefix, num_workers,
            seed=lab.seed,
        )  # fmt: skip
        self.spec, self.pairs_from = lab, pairs_from
        if batch_unit == "lists" and view == "pairwise":
            if pairs_from != "rankings":
                raise UserError(f"data.batch_unit=lists counts ranked lists; data.pairs_from={pairs_from} has none "
                                "(use data.pairs_from=rankings)")  # fmt: skip
            self.batch_size = batch_size * comb(lab.list_size, 2)

    def split_records(self, view: View) -> dict[str, list]:
        lab = generate(self.spec)
        return {split: lab_records(lab, split, view, self.pairs_from) for split in SPLITS}
