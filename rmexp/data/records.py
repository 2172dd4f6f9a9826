"""The three shapes of human feedback, as plain records that every source produces and every view reads.

A source (the lab, a JSON Lines file, a Hugging Face folder) turns its rows into these; the datasets
of the pairwise, pointwise and listwise views tokenize them. `gold` is the true reward where one is
known (the synthetic lab) and NaN elsewhere.
"""

from dataclasses import dataclass, field

NO_GOLD = float("nan")


@dataclass(frozen=True)
class PreferencePair:
    """One comparison: `chosen` was preferred to `rejected` for `prompt`.

    `margin` is how strongly (a score gap, a preference strength), for margin losses; `probability`
    how likely `chosen` is the preferred one (annotators' agreement, a judge's confidence), for soft-label
    losses. `subset` names the part of a benchmark the pair belongs to (RewardBench's "chat", "safety",
    ...), "" for none. A loss reads any of the per-pair numbers by name (`loss.pair_fields`).
    """

    prompt: str
    chosen: str
    rejected: str
    chosen_gold: float = NO_GOLD
    rejected_gold: float = NO_GOLD
    margin: float = 0.0
    subset: str = ""
    probability: float = 1.0


@dataclass(frozen=True)
class RatedResponse:
    """An absolute score for one response, from one annotator where the data names them."""

    prompt: str
    response: str
    score: float
    annotator: str | None = None
    gold: float = NO_GOLD


@dataclass(frozen=True)
class RankedResponses:
    """K responses to one prompt with their ranks: 0 is best, equal ranks are ties."""

    prompt: str
    responses: list[str]
    ranks: list[int]
    gold: list[float] = field(default_factory=list)


def prompt_indices(prompts: list[str]) -> list[int]:
    """Each prompt's index among the distinct prompts, in order of first appearance: the unit that a
    bootstrap interval resamples (rmexp/metrics/prompt_bootstrap.py), as pairs of one prompt are not independent."""
    index: dict[str, int] = {}
    return [index.setdefault(prompt, len(index)) for prompt in prompts]
