"""Throughput against TRL's RewardTrainer, on this machine: `make bench` (rmexp/bench/command.py).

gemm.py measures the machine's matmul peak, flops.py turns tokens into model FLOPs utilisation,
timing.py times training steps the same way for both systems, pairs.py gives both the same pairs,
rmexp_runner.py and trl_runner.py train and score, worker.py runs each in a fresh process, and
tables.py writes the report.
"""
