"""From the records a file holds to the records the loss's view needs: numbers checked by hand."""

import pytest

from rmexp.data.conversions import (
    check_view,
    comparisons_to_pairs,
    comparisons_to_rankings,
    rankings_to_pairs,
    ratings_to_pairs,
    ratings_to_rankings,
)
from rmexp.data.formats.listwise import ComparedResponses
from rmexp.data.records import PreferencePair, RankedResponses, RatedResponse
from rmexp.errors import UserError

# FineGrainedRLHF labels [0, 1, 2, 1, 0, 2] for pairs (1,2) (1,3) (1,4) (2,3) (2,4) (3,4), 0-based below
QA = ComparedResponses(
    prompt="q",
    responses=["a1", "a2", "a3", "a4"],
    comparisons=[(0, 1, None), (0, 2, 0), (0, 3, 3), (1, 2, 1), (1, 3, None), (2, 3, 3)],
)


def test_pair_labels_become_pairs_winner_first_and_ties_are_dropped():
    pairs, counts = comparisons_to_pairs([QA])
    assert [(pair.chosen, pair.rejected) for pair in pairs] == [("a1", "a3"), ("a4", "a1"), ("a2", "a3"), ("a4", "a3")]
    assert counts["ties"] == 2


def test_pair_labels_become_copeland_ranks_for_the_listwise_view():
    # wins (tie = 1/2): a1 = 0.5 + 1 = 1.5, a2 = 0.5 + 1 + 0.5 = 2, a3 = 0, a4 = 1 + 0.5 + 1 = 2.5
    (ranked,), counts = comparisons_to_rankings([QA])
    assert ranked.ranks == [2, 1, 3, 0] and counts["ties"] == 2


def test_ratings_become_pairs_above_the_minimum_gap_with_the_gap_as_margin():
    ratings = [RatedResponse("p", text, score) for text, score in [("a", 4.0), ("b", 2.5), ("c", 4.0), ("d", 3.5)]]
    ratings.append(RatedResponse("other prompt", "e", 1.0))  # alone on its prompt: no pair
    pairs, counts = ratings_to_pairs(ratings, min_score_gap=1.0)
    # a-b and c-b differ by 1.5, d-b by exactly the gap (kept); a-c tie; a-d and c-d by 0.5 (below the gap)
    assert sorted((pair.chosen, pair.rejected, pair.margin) for pair in pairs) == [
        ("a", "b", 1.5),
        ("c", "b", 1.5),
        ("d", "b", 1.0),
    ]
    assert counts == {"ties": 1, "below_min_gap": 2}


def test_ratings_rank_the_answers_of_each_prompt():
    ratings = [RatedResponse("p", text, score) for text, score in [("a", 3.0), ("b", 5.0), ("c", 3.0)]]
    (ranked,), counts = ratings_to_rankings(ratings)
    assert ranked == RankedResponses("p", ["a", "b", "c"], ranks=[1, 0, 1], gold=ranked.gold)
    assert counts["ties"] == 1


def test_rankings_become_every_pair_with_different_ranks():
    pairs, counts = rankings_to_pairs([RankedResponses("p", ["a", "b", "c"], ranks=[1, 0, 1])])
    assert pairs == [PreferencePair("p", "b", "a"), PreferencePair("p", "b", "c")]
    assert counts["ties"] == 1


def test_data_that_cannot_feed_the_view_names_the_views_and_losses_that_fit():
    with pytest.raises(UserError, match=r"pairs\.jsonl holds pairwise preferences, which feed the pairwise view\(s\), "
                       r"but the loss trains on the listwise view\. Losses that fit this data: loss=bt"):  # fmt: skip
        check_view(PreferencePair, "listwise", "pairs.jsonl")
    check_view(RatedResponse, "pairwise", "ratings.jsonl")  # a conversion exists: no error
