"""Variants: runs that differ only in their seed, named by the overrides that set them apart.

Only the keys whose value differs between the runs compared name a variant: `experiment=...` or
`logger=none`, given to every job of a sweep, say nothing about the variant and would only make the
labels long. A key some runs lack counts as differing (its value is the config's default there).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from rmexp.compare.runs import Run
from rmexp.errors import UserError

DEFAULT = "(default)"


@dataclass(frozen=True)
class Variant:
    settings: tuple[tuple[str, str], ...]  # (key, value) of every swept key, in the sweep's order

    @property
    def label(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.settings) or "all runs"

    def get(self, key: str) -> str:
        return dict(self.settings)[key]


def same_value(first: str, second: str) -> bool:
    """Override values as a user types them: `0`, `0.0` and `0e0` are one value, `bt` and `bt` another."""
    if first == second:
        return True
    try:
        return float(first) == float(second)
    except ValueError:
        return False


def swept_keys(runs: Iterable[Run], seed_key: str = "seed") -> list[str]:
    """The override keys, other than the seed, whose value is not the same in every run; first seen first."""
    runs = list(runs)
    keys = list(dict.fromkeys(key for run in runs for key in run.overrides if key != seed_key))
    return [
        key
        for key in keys
        if any(not same_value(run.overrides.get(key, DEFAULT), runs[0].overrides.get(key, DEFAULT)) for run in runs)
    ]


def group_by_variant(runs: list[Run], seed_key: str = "seed") -> dict[Variant, list[Run]]:
    """Runs grouped by the values of the swept keys, variants in the order their first run appears."""
    keys = swept_keys(runs, seed_key)
    groups: dict[Variant, list[Run]] = {}
    for run in runs:
        settings = tuple((key, run.overrides.get(key, DEFAULT)) for key in keys)
        match = next((variant for variant in groups if _same_settings(variant.settings, settings)), None)
        groups.setdefault(match or Variant(settings), []).append(run)
    return groups


def baseline_problem(variants: list[Variant], baseline: dict[str, str]) -> str | None:
    """Why `baseline` names no variant here (a key not swept, a value no run has), or None when it does."""
    keys = [key for key, _ in variants[0].settings] if variants else []
    for key, value in baseline.items():
        if key not in keys:
            return f"baseline {key}={value}: {key} is not swept here; the swept keys are {keys or 'none'}"
        seen = list(dict.fromkeys(variant.get(key) for variant in variants))
        if not any(same_value(value, other) for other in seen):
            return f"baseline {key}={value}: no run has that value; {key} takes {', '.join(seen)}"
    return None


def counterpart_settings(variant: Variant, baseline: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The settings of `variant`'s baseline: its own, with the baseline's keys set to the baseline's values."""
    return tuple((key, baseline.get(key, value)) for key, value in variant.settings)


def is_baseline(variant: Variant, baseline: dict[str, str]) -> bool:
    return _same_settings(counterpart_settings(variant, baseline), variant.settings)


def baseline_counterparts(variants: list[Variant], baseline: dict[str, str]) -> dict[Variant, Variant]:
    """Each variant's baseline: itself with the baseline's keys set to the baseline's values.

    With one swept key it is the one baseline variant (`loss=bt`); with several, each level of the
    other keys gets its own (`loss.length_decorrelation_coef=0` at every `data.lab.beta_len`), so a
    paired difference only ever changes the keys the baseline names. Baseline variants map to nothing,
    and so does a variant whose counterpart no run has (see `caveats.unpaired`).
    """
    problem = baseline_problem(variants, baseline)
    if problem:
        raise UserError(problem)
    counterparts = {}
    for variant in variants:
        if is_baseline(variant, baseline):
            continue
        wanted = counterpart_settings(variant, baseline)
        match = next((other for other in variants if _same_settings(other.settings, wanted)), None)
        if match is not None:
            counterparts[variant] = match
    return counterparts


def _same_settings(first: tuple[tuple[str, str], ...], second: tuple[tuple[str, str], ...]) -> bool:
    return all(a == c and same_value(b, d) for (a, b), (c, d) in zip(first, second, strict=True))
