"""From the records a file holds to the records the loss's view asks for.

Pairwise data feeds the pairwise view only. Ratings feed the pointwise view, and become pairs
(every two answers to one prompt whose scores differ by at least `min_score_gap`, margin = the gap,
as Llama 2 uses the rating gap) or ranked lists (answers to one prompt ranked by score). Rankings
and pair-labelled lists feed the listwise view and become pairs, ties dropped. Anything else is a
`UserError` that names the views, and the losses, that the data can feed.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

from hydra.utils import get_class
from omegaconf import OmegaConf

from rmexp import CONFIG_DIR
from rmexp.data.formats.listwise import ComparedResponses
from rmexp.data.records import PreferencePair, RankedResponses, RatedResponse
from rmexp.errors import UserError

Records = list
Counts = Counter  # comparisons a conversion left out ("ties", "below_min_gap"), for the data report


def ratings_to_pairs(ratings: list[RatedResponse], min_score_gap: float) -> tuple[list[PreferencePair], Counts]:
    pairs, counts = [], Counter()
    for group in _by_prompt(ratings).values():
        for first, second in combinations(group, 2):
            gap = abs(first.score - second.score)
            if gap == 0 or first.response == second.response:
                counts["ties"] += 1
            elif gap < min_score_gap:
                counts["below_min_gap"] += 1
            else:
                better, worse = (first, second) if first.score > second.score else (second, first)
                pairs.append(
                    PreferencePair(
                        prompt=better.prompt,
                        chosen=better.response,
                        rejected=worse.response,
                        chosen_gold=better.gold,
                        rejected_gold=worse.gold,
                        margin=gap,
                    )
                )
    return pairs, counts


def ratings_to_rankings(ratings: list[RatedResponse]) -> tuple[list[RankedResponses], Counts]:
    """One list per prompt, ranked by score (equal scores share a rank); a prompt with one answer has no list."""
    lists, counts = [], Counter()
    for prompt, group in _by_prompt(ratings).items():
        if len(group) < 2:
            continue
        ranks = _dense_ranks([rating.score for rating in group])
        counts["ties"] += sum(a == b for a, b in combinations(ranks, 2))
        lists.append(
            RankedResponses(
                prompt=prompt,
                responses=[rating.response for rating in group],
                ranks=ranks,
                gold=[rating.gold for rating in group],
            )
        )
    return lists, counts


def rankings_to_pairs(lists: list[RankedResponses]) -> tuple[list[PreferencePair], Counts]:
    """Every pair of a list with different ranks, better first; tied ranks give no pair."""
    pairs, counts = [], Counter()
    for ranked in lists:
        for first, second in combinations(range(len(ranked.responses)), 2):
            if ranked.ranks[first] == ranked.ranks[second]:
                counts["ties"] += 1
                continue
            better, worse = (first, second) if ranked.ranks[first] < ranked.ranks[second] else (second, first)
            pairs.append(_pair(ranked.prompt, ranked.responses, better, worse, ranked.gold))
    return pairs, counts


def rankings_as_they_are(lists: list[RankedResponses]) -> tuple[list[RankedResponses], Counts]:
    ties = sum(a == b for ranked in lists for a, b in combinations(ranked.ranks, 2))
    return lists, Counter(ties=ties)


def comparisons_to_pairs(compared: list[ComparedResponses]) -> tuple[list[PreferencePair], Counts]:
    """One pair per labelled comparison, winner first; ties dropped."""
    pairs, counts = [], Counter()
    for item in compared:
        for first, second, winner in item.comparisons:
            if winner is None:
                counts["ties"] += 1
                continue
            loser = second if winner == first else first
            pairs.append(_pair(item.prompt, item.responses, winner, loser))
    return pairs, counts


def comparisons_to_rankings(compared: list[ComparedResponses]) -> tuple[list[RankedResponses], Counts]:
    """Copeland ranks: an answer scores 1 per comparison won and 1/2 per tie; equal scores share a rank.

    The ranking keeps most of what the labels say but not all (labels can be intransitive); the
    pairwise view uses the labels themselves.
    """
    lists, counts = [], Counter()
    for item in compared:
        wins = [0.0] * len(item.responses)
        for first, second, winner in item.comparisons:
            if winner is None:
                counts["ties"] += 1
                wins[first] += 0.5
                wins[second] += 0.5
            else:
                wins[winner] += 1.0
        lists.append(RankedResponses(prompt=item.prompt, responses=item.responses, ranks=_dense_ranks(wins)))
    return lists, counts


def as_they_are(records: Records) -> tuple[Records, Counts]:
    return records, Counter()


# (record type, view) -> conversion; a pair missing here is data that cannot feed that view.
CONVERSIONS: dict[tuple[type, str], Callable[..., tuple[Records, Counts]]] = {
    (PreferencePair, "pairwise"): as_they_are,
    (RatedResponse, "pointwise"): as_they_are,
    (RatedResponse, "pairwise"): ratings_to_pairs,
    (RatedResponse, "listwise"): ratings_to_rankings,
    (RankedResponses, "listwise"): rankings_as_they_are,
    (RankedResponses, "pairwise"): rankings_to_pairs,
    (ComparedResponses, "listwise"): comparisons_to_rankings,
    (ComparedResponses, "pairwise"): comparisons_to_pairs,
}
DESCRIPTIONS = {
    PreferencePair: "pairwise preferences",
    RatedResponse: "rated answers",
    RankedResponses: "ranked lists",
    ComparedResponses: "pair-labelled lists",
}


def check_view(record_type: type, view: str, source: str) -> None:
    """Fails at configuration time when the data cannot feed the loss's view, naming what would fit."""
    if (record_type, view) in CONVERSIONS:
        return
    views = [fitting_view for kind, fitting_view in CONVERSIONS if kind is record_type]
    losses = ", ".join(f"loss={name}" for name in losses_for(views)) or "none configured yet"
    raise UserError(
        f"{source} holds {DESCRIPTIONS[record_type]}, which feed the {' and '.join(views)} view(s), "
        f"but the loss trains on the {view} view. Losses that fit this data: {losses}."
    )


def to_view(record_type: type, records: Records, view: str, min_score_gap: float = 0.0) -> tuple[Records, Counts]:
    conversion = CONVERSIONS[record_type, view]
    if conversion is ratings_to_pairs:
        return conversion(records, min_score_gap)
    return conversion(records)


def conversion_name(record_type: type, view: str) -> str:
    conversion = CONVERSIONS[record_type, view]
    return "none" if conversion in (as_they_are, rankings_as_they_are) else conversion.__name__


def losses_for(views: list[str]) -> list[str]:
    """The `conf/loss` options whose LightningModule trains on one of `views`."""
    fitting = []
    for path in sorted(Path(CONFIG_DIR, "loss").glob("*.yaml")):
        target = OmegaConf.load(path).get("_target_")
        if target and getattr(get_class(target), "view", None) in views:
            fitting.append(path.stem)
    return fitting


def _by_prompt(ratings: list[RatedResponse]) -> dict[str, list[RatedResponse]]:
    groups: dict[str, list[RatedResponse]] = defaultdict(list)
    for rating in ratings:
        groups[rating.prompt].append(rating)
    return groups


def _dense_ranks(scores: list[float]) -> list[int]:
    """0 for the highest score, equal scores share a rank: [3, 5, 3, 1] -> [1, 0, 1, 2]."""
    order = sorted(set(scores), reverse=True)
    return [order.index(score) for score in scores]


def _pair(prompt: str, responses: list[str], better: int, worse: int, gold: list[float] = ()) -> PreferencePair:
    golds = {"chosen_gold": gold[better], "rejected_gold": gold[worse]} if gold else {}
    return PreferencePair(prompt=prompt, chosen=responses[better], rejected=responses[worse], **golds)
