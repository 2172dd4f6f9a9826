"""Train / validation / test by prompt, so that no prompt is trained on and evaluated on.

Answers to one prompt share most of what a reward model sees; splitting pairs instead of prompts
would leak the prompt into evaluation. A data set's own splits are kept; the ones it lacks are
carved from its training prompts.
"""

import numpy as np

from rmexp.errors import UserError

SPLITS = ("train", "val", "test")
SPLIT_NAMES = {"train": "train", "validation": "val", "val": "val", "valid": "val", "dev": "val", "test": "test"}


def assign_splits(
    own: dict[str, list], val_fraction: float, test_fraction: float, seed: int, source: str
) -> tuple[dict[str, list], str]:
    """The records of each of SPLITS, and a line that says where they came from.

    A file without splits of its own (one split, whatever its name) is carved whole; otherwise the
    missing validation or test split takes its fraction of the training prompts.
    """
    fractions = {"val": val_fraction, "test": test_fraction}
    if len(own) == 1:
        return carve_by_prompt(next(iter(own.values())), fractions, seed, source), "carved by prompt"
    named: dict[str, list] = {}
    for name, records in own.items():
        if name.lower() not in SPLIT_NAMES:
            known = ", ".join(SPLIT_NAMES)
            raise UserError(f"{source}: split '{name}' is not one rmexp knows ({known}); rename it or keep one split")
        named.setdefault(SPLIT_NAMES[name.lower()], []).extend(records)
    if "train" not in named:
        raise UserError(f"{source}: the data set has splits {sorted(own)} but no train split")
    missing = {name: fraction for name, fraction in fractions.items() if name not in named}
    carved = carve_by_prompt(named.pop("train"), missing, seed, source)
    origin = f"own splits {sorted(own)}" + (f", {' and '.join(missing)} carved from train by prompt" if missing else "")
    return {**named, **carved}, origin


def carve_by_prompt(records: list, fractions: dict[str, float], seed: int, source: str) -> dict[str, list]:
    """`fractions` of the distinct prompts go to the named splits, the rest to train.

    Prompts are sorted before the seeded shuffle, so the split depends on the prompts and the seed,
    not on the order of the rows in the file.
    """
    prompts = sorted({record.prompt for record in records})
    counts = {
        name: max(1, round(fraction * len(prompts))) if fraction > 0 else 0 for name, fraction in fractions.items()
    }
    if sum(counts.values()) >= len(prompts):
        raise UserError(f"{source}: {len(prompts)} distinct prompts are too few to split into train and {counts}")
    order = np.random.default_rng(seed).permutation(len(prompts))
    split_of_prompt, start = {}, 0
    for name, count in counts.items():
        split_of_prompt.update({prompts[index]: name for index in order[start : start + count]})
        start += count
    splits: dict[str, list] = {"train": [], **{name: [] for name in fractions}}
    for record in records:
        splits[split_of_prompt.get(record.prompt, "train")].append(record)
    return splits
