"""The throughput tool times the steps after its warm-up ones, on the run rmexp-train would build."""

import pytest

from rmexp.bench.throughput import WARMUP_STEPS, measure
from rmexp.errors import UserError

from ..conftest import SMALL_LAB


def test_throughput_times_the_steps_after_the_warm_up(compose_train):
    result = measure(compose_train(*SMALL_LAB, "+trainer.limit_train_batches=3", "trainer.enable_progress_bar=false"))
    assert result["timed_steps"] == 3 - WARMUP_STEPS
    assert result["pairs_per_second"] > 0
    assert result["tokens_per_second"] > result["pairs_per_second"]
    assert result["trainable_parameters"] == 452_801 - 1  # the tiny model less its frozen head bias


def test_too_few_steps_to_time_is_a_user_error(compose_train):
    with pytest.raises(UserError, match="time at least 3 steps"):
        measure(compose_train(*SMALL_LAB, "+trainer.limit_train_batches=1", "trainer.enable_progress_bar=false"))
