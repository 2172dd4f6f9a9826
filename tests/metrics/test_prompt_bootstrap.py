import numpy as np
import torch

from rmexp.metrics.pairwise import pair_accuracy
from rmexp.metrics.prompt_bootstrap import prompt_bootstrap_intervals, resample_prompts


def accuracy_of(outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {"accuracy": pair_accuracy(outputs["chosen"], outputs["rejected"])}


def test_a_resample_keeps_every_row_of_each_drawn_prompt_and_renumbers_each_copy():
    outputs = {"prompt_id": torch.tensor([5, 5, 7, 9]), "chosen": torch.tensor([0.0, 1.0, 2.0, 3.0])}
    # the distinct prompts sorted are 5, 7, 9: draw 9, then 5 twice
    resampled = resample_prompts(outputs, torch.tensor([2, 0, 0]))
    assert resampled["chosen"].tolist() == [3.0, 0.0, 1.0, 0.0, 1.0]
    assert resampled["prompt_id"].tolist() == [0, 1, 1, 2, 2]


def simulated_split(rng: np.random.Generator, prompts: int, pairs_per_prompt: int) -> dict[str, torch.Tensor]:
    """Pairs whose chance of being ranked right is the prompt's own, uniform in [0.3, 1]: 0.65 on average."""
    chance = np.repeat(rng.uniform(0.3, 1.0, size=prompts), pairs_per_prompt)
    right = rng.random(chance.shape) < chance
    return {
        "prompt_id": torch.as_tensor(np.repeat(np.arange(prompts), pairs_per_prompt)),
        "chosen": torch.as_tensor(right, dtype=torch.float32),
        "rejected": torch.as_tensor(~right, dtype=torch.float32),
    }


def test_the_interval_covers_the_true_accuracy_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    covered, widths = [], []
    for trial in range(200):
        low, high = prompt_bootstrap_intervals(accuracy_of, simulated_split(rng, 40, 8), samples=300, seed=trial)[
            "accuracy"
        ]
        covered.append(low <= 0.65 <= high)
        widths.append(high - low)
    # 200 trials: a true 95% rate lands in [0.91, 0.98] with probability about 0.98
    assert 0.91 <= np.mean(covered) <= 0.98
    # resampling pairs as if independent would ignore that a prompt's pairs go together, and be narrower:
    # the prompt-level spread here makes the interval wider than the pairs-only binomial one
    binomial = 2 * 1.96 * np.sqrt(0.65 * 0.35 / 320)
    assert np.mean(widths) > 1.3 * binomial


def test_same_outputs_and_seed_give_the_same_intervals_and_no_prompt_ids_give_none():
    outputs = simulated_split(np.random.default_rng(1), 20, 4)
    first = prompt_bootstrap_intervals(accuracy_of, outputs, samples=50, seed=3)
    assert first == prompt_bootstrap_intervals(accuracy_of, outputs, samples=50, seed=3)
    assert first != prompt_bootstrap_intervals(accuracy_of, outputs, samples=50, seed=4)
    assert prompt_bootstrap_intervals(accuracy_of, outputs, samples=0) == {}
    without_prompts = {key: value for key, value in outputs.items() if key != "prompt_id"}
    assert prompt_bootstrap_intervals(accuracy_of, without_prompts, samples=50) == {}


def test_a_metric_undefined_on_every_resample_gets_a_nan_interval():
    outputs = simulated_split(np.random.default_rng(2), 10, 2)
    intervals = prompt_bootstrap_intervals(lambda o: {"none": torch.tensor(float("nan"))}, outputs, samples=20)
    assert np.isnan(intervals["none"]).all()
