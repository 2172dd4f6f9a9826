"""The over-optimisation experiments compose as rmexp-bon reads them: their best-of-n keys reach the run."""

from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser

from rmexp import CONFIG_DIR


def compose_bon(*overrides: str):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("bon", overrides=list(overrides), return_hydra_config=True)


def test_an_experiments_best_of_n_keys_win_over_the_defaults():
    # conf/bon.yaml reads conf/base/bon.yaml first; with its bon keys after the experiment, N would be 256
    cfg = compose_bon("experiment=overopt_lab")
    assert cfg.bon.num_candidates == 2048 and cfg.bon.batch_size == 256  # the experiment's, and the default kept
    assert cfg.data.lab.temperature == 1.0 and cfg.model.reward_model.hidden_size == 16
    assert cfg.callbacks.checkpoint.monitor is None  # the last epoch's proxy, not the early-stopped one
    assert compose_bon("experiment=overopt_lab", "bon.num_candidates=64").bon.num_candidates == 64  # the CLI last


def test_the_scaling_sweep_builds_on_the_lab_with_27_jobs():
    cfg = compose_bon("experiment=overopt_scaling")
    assert cfg.data.lab.temperature == 1.0 and cfg.bon.num_candidates == 1024  # the lab's, then its own size
    parser = OverridesParser.create()
    sizes = [len(list(parser.parse_override(f"{key}={value}").sweep_string_iterator()))
             for key, value in cfg.hydra.sweeper.params.items()]  # fmt: skip
    assert sizes == [3, 3, 3]
