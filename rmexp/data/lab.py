"""The synthetic preference lab: human-like feedback with a known right answer.

Real preference data carries no ground truth, so nothing measured on it can separate "the RM learned
quality" from "the RM learned what annotators reward by mistake" (length, above all). The lab draws
prompts and responses from real English words, gives every word a hidden per-topic quality weight,
and defines the gold reward as the mean weight of a response's words, independent of its length by
construction. A panel of simulated annotators then sees, annotator a, a utility

    u_a = gold_a + beta_len_a * log(length) + noise

where gold_a is the mean of the response's words under a's own view of their weights and beta_len_a
is a's own taste for length, and every label type comes from the same panel and the same responses:
a's pairwise choices (Bradley-Terry on u_a), a's 1-10 ratings (u_a through a's own scale and offset)
and a's rankings of K responses (Plackett-Luce on u_a). With no spread in the panel's views all
annotators share one utility and only their rating scales differ. Every example keeps its gold
reward and lengths; the test split is labelled by gold, so test accuracy is accuracy against the truth.
"""

from dataclasses import dataclass, field
from importlib.resources import files
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator
from pydantic.dataclasses import dataclass as validated_dataclass

from rmexp.data.splits import SPLITS

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]

TOPICS = (
    "music", "history", "cooking", "travel", "health", "finance", "science", "sports",
    "law", "art", "nature", "technology", "education", "politics", "fashion", "film",
)  # fmt: skip
INSTRUCTIONS = ("explain", "describe", "discuss", "summarize", "review", "outline", "compare", "analyze")


# allow_inf_nan off: an infinite knob (beta_len=inf) makes every utility NaN, which shows up only as a
# diverged loss, far from its cause
@validated_dataclass(frozen=True, config={"extra": "forbid", "allow_inf_nan": False})
class LabSpec:
    """Every knob of the lab. Validated on construction, so a bad override fails naming its field."""

    num_topics: Annotated[int, Field(ge=1, le=len(TOPICS))] = 4
    vocab_size: Annotated[int, Field(ge=10, le=4000)] = 400
    num_prompts: Annotated[int, Field(ge=10)] = 800
    responses_per_prompt: Annotated[int, Field(ge=2)] = 8
    pairs_per_prompt: PositiveInt = 6
    lists_per_prompt: PositiveInt = 2
    list_size: Annotated[int, Field(ge=2)] = 4
    length_min: PositiveInt = 4
    length_max: PositiveInt = 32
    helpful_fraction: Fraction = 0.25
    harmful_fraction: Fraction = 0.25
    topic_specificity: Fraction = 0.5
    quality_spread: NonNegativeFloat = 1.5
    beta_len: NonNegativeFloat = 0.1
    noise_std: NonNegativeFloat = 0.1
    temperature: Annotated[float, Field(gt=0)] = 0.1
    num_annotators: PositiveInt = 5
    annotator_scale_spread: NonNegativeFloat = 0.3
    annotator_offset_spread: NonNegativeFloat = 1.0
    annotator_taste_spread: NonNegativeFloat = 0.0
    annotator_length_spread: NonNegativeFloat = 0.0
    rating_noise_std: NonNegativeFloat = 0.5
    val_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.1
    test_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.2
    seed: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> "LabSpec":
        if self.length_min > self.length_max:
            raise ValueError(f"length_min ({self.length_min}) must be <= length_max ({self.length_max})")
        if self.helpful_fraction + self.harmful_fraction > 1:
            raise ValueError("helpful_fraction + harmful_fraction must be <= 1")
        if self.list_size > self.responses_per_prompt:
            raise ValueError(
                f"list_size ({self.list_size}) must be <= responses_per_prompt ({self.responses_per_prompt})"
            )
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError("val_fraction + test_fraction must leave a training split (sum < 1)")
        prompts = self.prompts_per_split()
        if prompts["val"] == 0:  # a run picks its best checkpoint by validation loss: with none, it has none
            raise ValueError(
                f"val_fraction={self.val_fraction} of num_prompts={self.num_prompts} leaves the validation split "
                f"empty; a run selects its best checkpoint on it: expected val_fraction >= {1 / self.num_prompts:.3g}"
            )
        if prompts["train"] == 0:
            raise ValueError(f"val_fraction and test_fraction of num_prompts={self.num_prompts} leave no train prompt")
        return self

    def prompts_per_split(self) -> dict[str, int]:
        """How many prompts each split gets; the test split at least one, as it is what the lab is for."""
        test = max(1, round(self.test_fraction * self.num_prompts))
        val = round(self.val_fraction * self.num_prompts)
        return {"train": self.num_prompts - test - val, "val": val, "test": test}


@dataclass
class LabData:
    """One draw of the lab: prompts, responses with gold rewards, and the three label types.

    Responses are indexed globally; pairs, ratings and rankings refer to them by index, so the three
    views share the very same responses.
    """

    spec: LabSpec
    words: list[str]
    word_weights: np.ndarray  # [num_topics, vocab_size]: hidden quality of each word per topic
    prompts: list[str]
    prompt_topic: np.ndarray
    prompt_split: np.ndarray  # index into SPLITS
    responses: list[str]
    response_prompt: np.ndarray
    response_length: np.ndarray
    response_gold: np.ndarray
    response_utility: np.ndarray  # the panel's shared view (gold + beta_len * log length), before noise
    annotator_utility: np.ndarray  # [num_annotators, n_responses]: what each annotator perceives, before noise
    pairs: np.ndarray  # [n, 2] response indices (chosen, rejected) as labelled
    pair_annotator: np.ndarray  # who labelled each pair; -1 for test pairs, ordered by gold
    ratings: np.ndarray  # [n_responses] 1-10
    rating_annotator: np.ndarray
    rankings: list[np.ndarray]  # response indices, best first: K per list, all R on test prompts
    ranking_annotator: np.ndarray  # who ranked each list; -1 for test lists, ordered by gold
    extras: dict = field(default_factory=dict)

    def split_of_response(self, response_index: np.ndarray) -> np.ndarray:
        return self.prompt_split[self.response_prompt[response_index]]


def load_words() -> list[str]:
    """Real English words (the most frequent whole words of a BERT vocabulary), one per line."""
    return files("rmexp.assets").joinpath("english_words.txt").read_text().split()


def gold_reward(word_weights: np.ndarray, topic: int, word_ids: np.ndarray) -> float:
    """The mean hidden weight of the response's words for the prompt's topic: length-free by construction."""
    return float(word_weights[topic, word_ids].mean())


def draw_words(rng: np.random.Generator, word_weights: np.ndarray, topic: int, length: int, skill: float) -> np.ndarray:
    """The word ids of one response, each drawn with p(word) proportional to exp(skill * weight[topic, word]).

    The skill tilts word choice towards the topic's helpful words (or harmful ones when negative) while
    the length is given, so gold rewards spread without tying them to length. Public so that best-of-n
    (rmexp/bon) draws fresh candidates from the very process that made the lab's responses.
    """
    logits = skill * word_weights[topic]
    probs = np.exp(logits - logits.max())
    return rng.choice(word_weights.shape[1], size=length, p=probs / probs.sum())


def generate(spec: LabSpec) -> LabData:
    """Draw the whole lab from `spec.seed`; the same spec gives byte-identical data."""
    rng = np.random.default_rng(spec.seed)
    reserved = set(TOPICS) | set(INSTRUCTIONS)
    pool = [w for w in load_words() if w not in reserved]
    words = [pool[i] for i in rng.choice(len(pool), size=spec.vocab_size, replace=False)]
    topics = TOPICS[: spec.num_topics]

    # Each (topic, word) is helpful, harmful or neutral filler, with a magnitude in [0.5, 1.5]. A word
    # is topic-specific with probability `topic_specificity`; otherwise its weight is universal (the
    # same for every topic), as some qualities of an answer are whatever the question.
    kind = rng.choice(
        [1.0, -1.0, 0.0],
        size=(spec.num_topics + 1, spec.vocab_size),
        p=[spec.helpful_fraction, spec.harmful_fraction, 1 - spec.helpful_fraction - spec.harmful_fraction],
    )
    weights = kind * rng.uniform(0.5, 1.5, size=kind.shape)
    topic_specific = rng.random(spec.vocab_size) < spec.topic_specificity
    word_weights = np.where(topic_specific, weights[1:], weights[0])

    prompt_topic = rng.integers(spec.num_topics, size=spec.num_prompts)
    prompt_split = _split_prompts(rng, spec)
    prompts = [
        f"{INSTRUCTIONS[rng.integers(len(INSTRUCTIONS))]} {topics[t]} {' '.join(rng.choice(words, size=2))}"
        for t in prompt_topic
    ]

    # A response's latent skill tilts its word choice towards the topic's helpful words (or harmful
    # ones when negative), which spreads gold rewards without tying them to length.
    n_responses = spec.num_prompts * spec.responses_per_prompt
    response_prompt = np.repeat(np.arange(spec.num_prompts), spec.responses_per_prompt)
    response_length = rng.integers(spec.length_min, spec.length_max + 1, size=n_responses)
    skill = rng.normal(0.0, spec.quality_spread, size=n_responses)
    responses, response_gold, response_words = [], np.empty(n_responses), []
    for i in range(n_responses):
        topic = prompt_topic[response_prompt[i]]
        word_ids = draw_words(rng, word_weights, topic, response_length[i], skill[i])
        responses.append(" ".join(words[j] for j in word_ids))
        response_words.append(word_ids)
        response_gold[i] = gold_reward(word_weights, topic, word_ids)
    utility = response_gold + spec.beta_len * np.log(response_length)

    # The panel draws from a stream of its own, so a lab whose annotators share one view is the same
    # lab, label for label, as before the panel had views.
    panel_rng = np.random.default_rng([spec.seed, 1])
    annotator_utility = _annotator_utilities(
        panel_rng, spec, response_gold, prompt_topic[response_prompt], response_words, response_length
    )
    is_test = prompt_split[response_prompt] == SPLITS.index("test")
    pairs, pair_annotator = _pairwise_labels(rng, panel_rng, spec, annotator_utility, response_gold, is_test)
    ratings, rating_annotator = _ratings(rng, spec, utility, annotator_utility)
    rankings, ranking_annotator = _rankings(rng, panel_rng, spec, annotator_utility, response_gold, is_test)

    return LabData(
        spec=spec,
        words=words,
        word_weights=word_weights,
        prompts=prompts,
        prompt_topic=prompt_topic,
        prompt_split=prompt_split,
        responses=responses,
        response_prompt=response_prompt,
        response_length=response_length,
        response_gold=response_gold,
        response_utility=utility,
        annotator_utility=annotator_utility,
        pairs=pairs,
        pair_annotator=pair_annotator,
        ratings=ratings,
        rating_annotator=rating_annotator,
        rankings=rankings,
        ranking_annotator=ranking_annotator,
    )


def _split_prompts(rng: np.random.Generator, spec: LabSpec) -> np.ndarray:
    """Split by prompt, so that no prompt (and none of its responses) sits in two splits."""
    order = rng.permutation(spec.num_prompts)
    prompts = spec.prompts_per_split()
    n_test, n_val = prompts["test"], prompts["val"]
    split = np.zeros(spec.num_prompts, dtype=np.int64)
    split[order[:n_test]] = SPLITS.index("test")
    split[order[n_test : n_test + n_val]] = SPLITS.index("val")
    return split


def _noisy(rng: np.random.Generator, spec: LabSpec, utility: np.ndarray) -> np.ndarray:
    """Each annotation sees the utility through fresh noise."""
    return utility + rng.normal(0.0, spec.noise_std, size=utility.shape)


def _annotator_utilities(
    rng: np.random.Generator,
    spec: LabSpec,
    response_gold: np.ndarray,
    response_topic: np.ndarray,
    response_words: list[np.ndarray],
    response_length: np.ndarray,
) -> np.ndarray:
    """Each annotator's utility for every response: [num_annotators, n_responses].

    Annotator a weighs words by word_weights + its own N(0, annotator_taste_spread) deviation (its view
    of quality) and length by beta_len + N(0, annotator_length_spread) (its taste for length), so raters
    disagree on which response is better, not only on the numbers they give. Its gold is the true gold
    plus the mean of its deviations over the response's words, so a panel with no spread sees exactly gold.
    """
    shape = (spec.num_annotators, spec.num_topics, spec.vocab_size)
    deviation = rng.normal(0.0, spec.annotator_taste_spread, size=shape)
    own_beta_len = spec.beta_len + rng.normal(0.0, spec.annotator_length_spread, size=spec.num_annotators)
    own_deviation = np.stack(
        [deviation[:, topic, ids].mean(axis=1) for topic, ids in zip(response_topic, response_words, strict=True)],
        axis=1,
    )
    return (response_gold + own_deviation) + own_beta_len[:, None] * np.log(response_length)[None, :]


def _pairwise_labels(
    rng: np.random.Generator,
    panel_rng: np.random.Generator,
    spec: LabSpec,
    annotator_utility: np.ndarray,
    gold: np.ndarray,
    is_test: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct response pairs per prompt, each labelled by one annotator a of the panel with
    P(first chosen) = sigmoid((u_a(first) - u_a(second)) / temperature); returns the pairs and who labelled them.

    A test prompt gets every one of its C(R, 2) pairs, ordered by gold: the same pairs that the
    pointwise and listwise views are scored on, so all loss families meet one test set.
    """
    first, second = np.triu_indices(spec.responses_per_prompt, k=1)
    n_pairs = min(spec.pairs_per_prompt, len(first))
    rows, annotators = [], []
    for prompt in range(spec.num_prompts):
        offset = prompt * spec.responses_per_prompt
        if is_test[offset]:
            a, b = first + offset, second + offset
            a_wins = gold[a] > gold[b]
            annotator = np.full(len(a), -1)
        else:
            picked = rng.choice(len(first), size=n_pairs, replace=False)
            a, b = first[picked] + offset, second[picked] + offset
            annotator = panel_rng.integers(spec.num_annotators, size=n_pairs)
            utility_a, utility_b = annotator_utility[annotator, a], annotator_utility[annotator, b]
            delta = (_noisy(rng, spec, utility_a) - _noisy(rng, spec, utility_b)) / spec.temperature
            with np.errstate(over="ignore"):  # a sharp temperature overflows exp to inf: P = 0, as it should
                a_wins = rng.random(n_pairs) < 1.0 / (1.0 + np.exp(-delta))
        rows.append(np.where(a_wins[:, None], np.stack([a, b], 1), np.stack([b, a], 1)))
        annotators.append(annotator)
    return np.concatenate(rows), np.concatenate(annotators)


def _ratings(
    rng: np.random.Generator, spec: LabSpec, utility: np.ndarray, annotator_utility: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A 1-10 rating per response from one of A annotators: its own utility through its own scale and offset.

    The rating maps the annotator's utility (standardised by the panel's shared view over the lab) to
    5.5 + 2 * scale_a * z + offset_a + noise: with no spread in views, annotators agree on the order but
    not on the numbers, which is what makes pointwise labels noisy.
    """
    scale = np.exp(rng.normal(0.0, spec.annotator_scale_spread, size=spec.num_annotators))
    offset = rng.normal(0.0, spec.annotator_offset_spread, size=spec.num_annotators)
    annotator = rng.integers(spec.num_annotators, size=utility.shape[0])
    own = annotator_utility[annotator, np.arange(utility.shape[0])]
    z = (_noisy(rng, spec, own) - utility.mean()) / (utility.std() + 1e-12)
    raw = 5.5 + 2.0 * scale[annotator] * z + offset[annotator]
    raw += rng.normal(0.0, spec.rating_noise_std, size=raw.shape)
    return np.clip(np.rint(raw), 1, 10), annotator


def _rankings(
    rng: np.random.Generator,
    panel_rng: np.random.Generator,
    spec: LabSpec,
    annotator_utility: np.ndarray,
    gold: np.ndarray,
    is_test: np.ndarray,
) -> tuple[list[np.ndarray], np.ndarray]:
    """K responses per list, each list ranked by one annotator a by Plackett-Luce on u_a / temperature
    (sorting u_a/T + Gumbel noise); returns the lists and who ranked them.

    A test prompt gets one list of all its responses, ranked by gold.
    """
    rows, annotators = [], []
    for prompt in range(spec.num_prompts):
        offset = prompt * spec.responses_per_prompt
        if is_test[offset]:
            members = np.arange(spec.responses_per_prompt) + offset
            rows.append(members[np.argsort(-gold[members], kind="stable")])
            annotators.append(-1)
            continue
        for _ in range(spec.lists_per_prompt):
            members = rng.choice(spec.responses_per_prompt, size=spec.list_size, replace=False) + offset
            annotator = panel_rng.integers(spec.num_annotators)
            perceived = _noisy(rng, spec, annotator_utility[annotator, members])
            scores = perceived / spec.temperature + rng.gumbel(size=spec.list_size)
            rows.append(members[np.argsort(-scores, kind="stable")])
            annotators.append(annotator)
    return rows, np.array(annotators)
