"""Which loggers a run's config asks for, read without Lightning: rmexp-score checks a run's config and
must not pay for Lightning's import, which it never uses (tests/test_score.py holds it)."""

from omegaconf import DictConfig


def logger_configs(logger_config: DictConfig | None) -> list[DictConfig]:
    """The logger configs a run asks for: one per chosen option (a `null` one turned off); a run folder
    written before the options were named holds a single logger config at the top."""
    if not logger_config:
        return []
    if "_target_" in logger_config:
        return [logger_config]
    return [config for config in logger_config.values() if config]
