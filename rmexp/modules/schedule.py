"""Learning-rate schedules that need the run's length, which only the trainer knows."""

import torch
from transformers import get_cosine_schedule_with_warmup


def warmup_cosine(
    optimizer: torch.optim.Optimizer, num_training_steps: int, warmup_fraction: float = 0.05
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over `warmup_fraction` of the steps, then cosine decay to zero."""
    warmup_steps = int(warmup_fraction * num_training_steps)
    return get_cosine_schedule_with_warmup(optimizer, warmup_steps, num_training_steps)
