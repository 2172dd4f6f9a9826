import pytest
import torch

from rmexp.bench import timing
from rmexp.bench.timing import StepClock


def mask(rows: int, lengths: list[int], width: int) -> torch.Tensor:
    return torch.tensor([[1] * length + [0] * (width - length) for length in lengths[:rows]])


def test_the_warm_up_steps_are_left_out_of_the_timing():
    clock = StepClock(warmup_steps=1)
    batches = [mask(4, [9, 9, 9, 9], 9), mask(4, [4, 2, 4, 2], 4), mask(2, [3, 1], 3)]
    for batch, end, cpu_end in zip(batches, [10.0, 12.0, 13.0], [5.0, 6.0, 6.5], strict=True):
        clock.batch(batch)
        clock.step_ends.append(end)
        clock.cpu_ends.append(cpu_end)
    summary = clock.summary()
    # timed: steps 2 and 3, from the end of step 1 (10.0) to the end of step 3 (13.0)
    assert summary["seconds"] == 3.0
    assert summary["cpu_seconds"] == 1.5  # another job had the core half the time
    assert summary["pairs_per_cpu_second"] == pytest.approx(2.0)
    assert summary["pairs"] == 2 + 1
    assert summary["trained_pairs"] == 2 + 2 + 1
    assert summary["tokens"] == 12 + 4
    assert summary["pairs_per_second"] == pytest.approx(1.0)
    # 16 tokens in 16 + 6 = 22 cells
    assert summary["padding_fraction"] == pytest.approx(6 / 22)


def test_a_packed_batch_counts_the_tokens_and_cells_it_computed():
    clock = StepClock(warmup_steps=1)
    pair_rows = mask(4, [6, 6, 5, 5], 6)  # two pairs, each sharing a 4-token prompt
    packed = mask(2, [8, 6], 8)  # prompt + chosen + rejected: 4 + 2 + 2 and 4 + 1 + 1
    for end in (1.0, 2.0):
        clock.batch(pair_rows, packed)
        clock.step_ends.append(end)
        clock.cpu_ends.append(end)
    summary = clock.summary()
    assert (summary["tokens"], summary["computed_tokens"]) == (22, 14)
    assert summary["padding_fraction"] == pytest.approx(2 / 16)
    assert summary["computed_tokens_per_pair"] == pytest.approx(7.0)


def test_a_run_shorter_than_its_warm_up_says_so():
    clock = StepClock(warmup_steps=2)
    clock.batch(mask(2, [1, 1], 1))
    clock.step_end()
    with pytest.raises(ValueError, match="1 steps ran: time at least 3"):
        clock.summary()


def test_at_least_one_warm_up_step():
    with pytest.raises(ValueError, match="warmup_steps=0: expected at least 1"):
        StepClock(warmup_steps=0)


def record_the_clock(monkeypatch) -> list[str]:
    """What the clock does, in order: waits for a CUDA device, reads the time (no GPU needed)."""
    events: list[str] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append(f"synchronize {device}"))
    monkeypatch.setattr(timing.time, "perf_counter", lambda: events.append("time") or 1.0)
    return events


def test_a_gpu_step_ends_when_the_device_has_run_it_not_when_it_was_queued(monkeypatch):
    events = record_the_clock(monkeypatch)
    StepClock(warmup_steps=1, device="cuda").step_end()
    assert events == ["synchronize cuda", "time"]


def test_a_cpu_step_reads_the_time_without_waiting_for_any_device(monkeypatch):
    events = record_the_clock(monkeypatch)
    StepClock(warmup_steps=1).step_end()
    assert events == ["time"]
