"""Each system's best batch: the sweep stops at the first size that runs out of memory, and the fastest wins."""

from rmexp.bench.batch_sweep import OutOfMemory, best_batch, sweep_batch_sizes
from rmexp.bench.tables import best_batch_rows

OUT_OF_MEMORY = "out of memory: CUDA out of memory. Tried to allocate 2.00 GiB."


def trainer_with(pairs_per_second: dict[int, float], memory_ends_at: int | None = None):
    """A stand-in for a training job: hand values of pairs/s per batch size, out of memory from one size on."""
    tried: list[int] = []

    def train_at(batch_size: int) -> dict:
        tried.append(batch_size)
        if memory_ends_at is not None and batch_size >= memory_ends_at:
            raise OutOfMemory(OUT_OF_MEMORY)
        return {"pairs_per_second": pairs_per_second[batch_size], "peak_memory_mib": 100.0 * batch_size}

    return train_at, tried


def test_the_sweep_runs_smallest_first_and_stops_at_the_first_size_out_of_memory():
    train_at, tried = trainer_with({8: 100.0, 16: 180.0, 32: 240.0}, memory_ends_at=64)
    sweep = sweep_batch_sizes(train_at, [64, 8, 128, 16, 32])
    assert tried == [8, 16, 32, 64]  # 128 never runs: it would run out of memory too
    assert [entry["batch_size"] for entry in sweep] == [8, 16, 32, 64]
    assert sweep[-1] == {"batch_size": 64, "out_of_memory": OUT_OF_MEMORY}
    assert best_batch(sweep) == {
        "batch_size": 32, "pairs_per_second": 240.0, "peak_memory_mib": 3200.0, "out_of_memory_at": 64
    }  # fmt: skip


def test_the_fastest_batch_wins_even_when_a_larger_one_ran():
    train_at, _ = trainer_with({8: 100.0, 16: 300.0, 32: 250.0, 64: 120.0})
    best = best_batch(sweep_batch_sizes(train_at, [8, 16, 32, 64]))
    assert (best["batch_size"], best["pairs_per_second"], best["out_of_memory_at"]) == (16, 300.0, None)


def test_no_best_when_even_the_smallest_batch_runs_out_of_memory():
    train_at, tried = trainer_with({}, memory_ends_at=8)
    sweep = sweep_batch_sizes(train_at, [8, 16])
    assert tried == [8] and best_batch(sweep) is None


def test_the_report_gives_each_systems_best_batch_and_the_ratio_of_the_bests():
    rmexp_at, _ = trainer_with({8: 100.0, 16: 180.0, 32: 240.0}, memory_ends_at=64)
    trl_at, _ = trainer_with({8: 60.0, 16: 90.0, 32: 110.0, 64: 120.0})
    trl_out_of_memory, _ = trainer_with({}, memory_ends_at=8)
    sizes = [8, 16, 32, 64]
    sweeps = {"rmexp": sweep_batch_sizes(rmexp_at, sizes), "trl": sweep_batch_sizes(trl_at, sizes)}
    # 240 / 120 = 2.00: rmexp's best (batch 32) against TRL's (batch 64)
    assert best_batch_rows(sweeps) == [(
        "best training pairs/s over batch sizes 8, 16, 32, 64",
        "240 (batch 32; out of memory at 64)", "120 (batch 64)", "2.00x",
    )]  # fmt: skip
    sweeps["trl"] = sweep_batch_sizes(trl_out_of_memory, sizes)
    assert best_batch_rows(sweeps)[0][2:] == ("out of memory at 8", "-")
