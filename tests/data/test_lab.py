import numpy as np
import pytest
from pydantic import ValidationError

from rmexp.data.lab import LabSpec, generate, gold_reward
from rmexp.data.splits import SPLITS

SMALL = {"num_prompts": 400, "vocab_size": 100}


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    first, again, other = (
        generate(LabSpec(seed=3, **SMALL)),
        generate(LabSpec(seed=3, **SMALL)),
        generate(LabSpec(seed=4, **SMALL)),
    )
    assert first.responses == again.responses and first.prompts == again.prompts
    for name in ("pairs", "ratings", "response_gold", "word_weights"):
        assert getattr(first, name).tobytes() == getattr(again, name).tobytes(), name
    assert all((a == b).all() for a, b in zip(first.rankings, again.rankings, strict=True))
    assert first.responses != other.responses


def test_gold_reward_is_the_mean_word_weight_and_ignores_length():
    lab = generate(LabSpec(seed=0, **SMALL))
    index = 17
    topic = lab.prompt_topic[lab.response_prompt[index]]
    word_ids = [lab.words.index(word) for word in lab.responses[index].split()]
    expected = lab.word_weights[topic, word_ids].mean()
    assert lab.response_gold[index] == pytest.approx(expected)
    # doubling a response (twice the length, same words) leaves its gold reward unchanged
    assert gold_reward(lab.word_weights, topic, np.array(word_ids * 2)) == pytest.approx(expected)
    assert abs(np.corrcoef(lab.response_gold, lab.response_length)[0, 1]) < 0.05


def test_response_lengths_follow_the_configured_range():
    lab = generate(LabSpec(length_min=5, length_max=9, **SMALL))
    assert lab.response_length.min() == 5 and lab.response_length.max() == 9
    assert [len(text.split()) for text in lab.responses] == lab.response_length.tolist()


def _longer_chosen_rate(beta_len: float) -> float:
    lab = generate(LabSpec(beta_len=beta_len, seed=1, **SMALL))
    train = lab.split_of_response(lab.pairs[:, 0]) == SPLITS.index("train")
    chosen, rejected = lab.pairs[train, 0], lab.pairs[train, 1]
    differ = lab.response_length[chosen] != lab.response_length[rejected]
    return float((lab.response_length[chosen] > lab.response_length[rejected])[differ].mean())


def test_annotators_with_length_bias_prefer_longer_responses():
    unbiased, biased = _longer_chosen_rate(0.0), _longer_chosen_rate(1.0)
    assert unbiased == pytest.approx(0.5, abs=0.04)
    assert biased > unbiased + 0.15


def test_topic_specificity_decides_whether_a_words_weight_depends_on_the_topic():
    universal = generate(LabSpec(topic_specificity=0.0, **SMALL)).word_weights
    assert (universal == universal[0]).all()
    specific = generate(LabSpec(topic_specificity=1.0, **SMALL)).word_weights
    assert (specific != specific[0]).any(axis=0).mean() > 0.5


def test_label_noise_grows_with_temperature():
    def agreement(temperature: float) -> float:
        lab = generate(LabSpec(temperature=temperature, beta_len=0.0, seed=2, **SMALL))
        train = lab.split_of_response(lab.pairs[:, 0]) == SPLITS.index("train")
        chosen, rejected = lab.pairs[train, 0], lab.pairs[train, 1]
        return float((lab.response_gold[chosen] > lab.response_gold[rejected]).mean())

    sharp, noisy = agreement(0.05), agreement(2.0)
    assert sharp > 0.85
    assert noisy < sharp - 0.15


def test_splits_are_by_prompt_and_test_is_labelled_by_gold():
    lab = generate(LabSpec(seed=5, **SMALL))
    split_of_pair = lab.split_of_response(lab.pairs[:, 0])
    assert (split_of_pair == lab.split_of_response(lab.pairs[:, 1])).all()
    assert (lab.response_prompt[lab.pairs[:, 0]] == lab.response_prompt[lab.pairs[:, 1]]).all()
    test = split_of_pair == SPLITS.index("test")
    assert (lab.response_gold[lab.pairs[test, 0]] > lab.response_gold[lab.pairs[test, 1]]).all()
    assert (lab.prompt_split == SPLITS.index("test")).mean() == pytest.approx(0.2, abs=0.01)
    # a test prompt contributes all C(8, 2) = 28 of its pairs, a training prompt pairs_per_prompt = 6
    per_prompt = np.bincount(lab.response_prompt[lab.pairs[:, 0]], minlength=lab.spec.num_prompts)
    assert set(per_prompt[lab.prompt_split == SPLITS.index("test")]) == {28}
    assert set(per_prompt[lab.prompt_split == SPLITS.index("train")]) == {6}


def test_ratings_are_on_the_one_to_ten_scale_and_annotators_differ():
    lab = generate(LabSpec(seed=6, annotator_offset_spread=2.0, **SMALL))
    assert lab.ratings.min() >= 1 and lab.ratings.max() <= 10
    assert len(lab.ratings) == len(lab.responses)
    means = [lab.ratings[lab.rating_annotator == a].mean() for a in range(lab.spec.num_annotators)]
    assert max(means) - min(means) > 1.0
    assert np.corrcoef(lab.ratings, lab.response_gold)[0, 1] > 0.4


def test_rankings_are_permutations_of_one_prompts_responses():
    lab = generate(LabSpec(seed=7, list_size=5, **SMALL))
    train_lists = [r for r in lab.rankings if lab.split_of_response(r[0]) == SPLITS.index("train")]
    test_lists = [r for r in lab.rankings if lab.split_of_response(r[0]) == SPLITS.index("test")]
    assert {len(r) for r in train_lists} == {5} and {len(r) for r in test_lists} == {8}
    for ranking in lab.rankings:
        assert len(set(ranking)) == len(ranking)
        assert len(set(lab.response_prompt[ranking])) == 1
    for ranking in test_lists:
        assert (np.diff(lab.response_gold[ranking]) <= 0).all()
    # on training lists the best-ranked response beats the worst on gold far more often than not
    best, worst = np.array([r[0] for r in train_lists]), np.array([r[-1] for r in train_lists])
    assert (lab.response_gold[best] > lab.response_gold[worst]).mean() > 0.85


def _train_pair_labels(lab) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    train = lab.split_of_response(lab.pairs[:, 0]) == SPLITS.index("train")
    return lab.pairs[train, 0], lab.pairs[train, 1], lab.pair_annotator[train]


def test_pairwise_labels_change_with_the_annotators_views_and_not_with_their_rating_scales():
    shared = generate(LabSpec(seed=8, **SMALL))
    other_scales = generate(LabSpec(seed=8, annotator_scale_spread=1.0, annotator_offset_spread=3.0, **SMALL))
    own_views = generate(LabSpec(seed=8, annotator_taste_spread=1.0, annotator_length_spread=0.5, **SMALL))
    # with one shared view every annotator perceives the same utility, so scales alone leave the pairs as they were
    assert (shared.annotator_utility == shared.response_utility).all()
    assert shared.pairs.tobytes() == other_scales.pairs.tobytes()
    assert shared.ratings.tobytes() != other_scales.ratings.tobytes()
    # own views of quality and length: the same responses, other choices
    assert shared.responses == own_views.responses
    changed = (shared.pairs != own_views.pairs).any(axis=1).mean()
    assert 0.05 < changed < 0.5


def test_each_annotators_pairs_ratings_and_rankings_come_from_that_annotators_one_utility():
    # no per-annotation noise and an almost deterministic choice: every label must follow its annotator's utility
    lab = generate(
        LabSpec(seed=9, noise_std=0.0, temperature=1e-4, rating_noise_std=0.0, annotator_taste_spread=1.0,
                annotator_length_spread=0.5, annotator_scale_spread=0.5, annotator_offset_spread=2.0, **SMALL)
    )  # fmt: skip
    own = lab.annotator_utility
    chosen, rejected, annotator = _train_pair_labels(lab)
    assert set(annotator) == set(range(lab.spec.num_annotators))
    assert (own[annotator, chosen] > own[annotator, rejected]).all()
    # the shared view disagrees with a good share of those choices: the raters' views differ
    assert (lab.response_utility[chosen] < lab.response_utility[rejected]).mean() > 0.05
    for rater in range(lab.spec.num_annotators):
        rated = np.flatnonzero(lab.rating_annotator == rater)
        by_utility = rated[np.argsort(own[rater, rated])]
        assert (np.diff(lab.ratings[by_utility]) >= 0).all(), f"annotator {rater}'s ratings are not in its order"
    ranked = [(r, a) for r, a in zip(lab.rankings, lab.ranking_annotator, strict=True) if a >= 0]
    assert ranked and all((np.diff(own[a, r]) < 0).all() for r, a in ranked)
    assert (lab.ranking_annotator == -1).sum() == (lab.prompt_split == SPLITS.index("test")).sum()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"beta_len": -1.0}, "beta_len"),
        ({"temperature": 0.0}, "temperature"),
        ({"num_topics": 99}, "num_topics"),
        ({"vocab_size": "many"}, "vocab_size"),
        ({"length_min": 10, "length_max": 5}, "length_min"),
        ({"list_size": 9}, "list_size"),
        ({"beta_length": 1.0}, "beta_length"),
        ({"annotator_taste_spread": -0.5}, "annotator_taste_spread"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(overrides, field):
    with pytest.raises(ValidationError, match=field):
        LabSpec(**overrides)
