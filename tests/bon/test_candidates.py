"""Candidates come from the lab's own response process, with their gold reward, per-prompt streams."""

import numpy as np
import pytest

from rmexp.bon.candidates import LabResponseGenerator
from rmexp.data.lab import LabSpec, generate, gold_reward
from rmexp.errors import UserError

LAB = generate(LabSpec(num_prompts=60, vocab_size=50, seed=3))  # 0.1 s


def test_each_candidate_carries_the_gold_reward_and_length_of_its_words():
    candidates = LabResponseGenerator(seed=1)(LAB, np.array([4, 9]), 16)
    assert candidates.gold.shape == candidates.length.shape == (2, 16)
    assert candidates.prompts == [LAB.prompts[4], LAB.prompts[9]]
    topic = LAB.prompt_topic[9]
    word_ids = [LAB.words.index(word) for word in candidates.responses[1][5].split()]
    assert candidates.gold[1, 5] == pytest.approx(gold_reward(LAB.word_weights, topic, np.array(word_ids)))
    assert len(word_ids) == candidates.length[1, 5]
    assert candidates.length.min() >= LAB.spec.length_min and candidates.length.max() <= LAB.spec.length_max
    pairs = candidates.prompt_response_pairs()
    assert pairs[16 + 5] == (LAB.prompts[9], candidates.responses[1][5])  # prompt by prompt, as gold is laid out


def test_candidates_spread_like_the_labs_own_responses():
    candidates = LabResponseGenerator()(LAB, np.arange(60), 64)
    assert candidates.gold.mean() == pytest.approx(LAB.response_gold.mean(), abs=0.05)
    assert candidates.gold.std() == pytest.approx(LAB.response_gold.std(), rel=0.1)
    assert not set(candidates.responses[0]) & set(LAB.responses)  # fresh draws, not the lab's responses


def test_a_prompts_candidates_do_not_depend_on_the_other_prompts_drawn():
    alone = LabResponseGenerator(seed=2)(LAB, np.array([7]), 8)
    with_others = LabResponseGenerator(seed=2)(LAB, np.array([3, 7]), 8)
    other_seed = LabResponseGenerator(seed=5)(LAB, np.array([7]), 8)
    assert alone.responses[0] == with_others.responses[1]
    assert alone.responses[0] != other_seed.responses[0]


def test_the_length_range_can_be_shifted_and_is_checked():
    shifted = LabResponseGenerator(length_min=40, length_max=48)(LAB, np.array([0]), 32)
    assert shifted.length.min() >= 40 and shifted.length.max() <= 48
    with pytest.raises(UserError, match=r"generator.length_min \(40\) must be <= generator.length_max \(32\)"):
        LabResponseGenerator(length_min=40)(LAB, np.array([0]), 4)  # the lab's length_max is 32
