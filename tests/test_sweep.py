"""Sweeps: a real Hydra multirun of the smoke experiment, the ablations' sweeps, and the launcher and sweeper configs.

The multirun runs the CLI in a subprocess, as a user would: 2 losses x 2 seeds on a tiny lab, one
epoch each, then rmexp-compare on its folder.
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.utils import instantiate

from rmexp import CONFIG_DIR

from .conftest import REPO_ROOT

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

ABLATIONS = ["feedback_type", "length_bias", "reward_centering", "listwise_grouping", "margin"]


def multirun(*overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rmexp.train", "-m", *overrides],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
        env={**os.environ, "WANDB_MODE": "offline", "OMP_NUM_THREADS": "1"},  # one torch thread: shared cores
    )


def summaries(sweep_dir: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(sweep_dir.glob("*/summary.json"))}


@pytest.fixture(scope="module")
def smoke_sweep(tmp_path_factory):
    sweep_dir = tmp_path_factory.mktemp("multirun") / "sweep_smoke"
    result = multirun("experiment=sweep_smoke", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep_dir.parent / "stdout.txt").write_text(result.stdout)  # beside the sweep, not in it
    return sweep_dir


def test_the_sweep_ends_with_its_count_and_the_compare_command(smoke_sweep):
    last_lines = (smoke_sweep.parent / "stdout.txt").read_text().splitlines()[-2:]
    assert last_lines == [
        f"sweep: 4/4 completed (0 failed) in {smoke_sweep}",
        f"compare them: rmexp-compare {smoke_sweep}",
    ]


def test_two_variants_by_two_seeds_give_four_completed_runs(smoke_sweep):
    runs = summaries(smoke_sweep)
    assert sorted(runs) == ["0", "1", "2", "3"]
    assert [(run["status"], sorted(run["overrides"])) for run in runs.values()] == [
        ("completed", ["experiment=sweep_smoke", f"loss={loss}", f"seed={seed}"])
        for loss in ("bt", "hinge")
        for seed in (0, 1)
    ]
    assert all(0 <= run["metrics"]["test/gold_accuracy"] <= 1 for run in runs.values())


def test_wandb_groups_the_sweep_and_names_each_variant(smoke_sweep):
    loggers = {
        job: yaml.safe_load((smoke_sweep / job / "config.yaml").read_text())["logger"]["wandb"] for job in "0123"
    }
    assert {logger["group"] for logger in loggers.values()} == {str(smoke_sweep)}
    assert [logger["job_type"] for logger in loggers.values()] == ["loss=bt", "loss=bt", "loss=hinge", "loss=hinge"]
    assert loggers["1"]["name"] == "seed=1 loss=bt"
    assert loggers["0"]["tags"] == ["rmexp", "sweep_smoke"]
    assert list((smoke_sweep / "0" / "wandb").glob("offline-run-*"))


def test_compare_reads_the_sweep(smoke_sweep, capsys):
    from rmexp.compare.cli import main

    main([str(smoke_sweep)])  # metric and baseline from the experiment's `compare`
    with (smoke_sweep / "compare" / "variants.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [(row["variant"], row["metric"], row["seeds"]) for row in rows] == [
        ("loss=bt", "test/gold_accuracy", "2"),
        ("loss=hinge", "test/gold_accuracy", "2"),
    ]
    with (smoke_sweep / "compare" / "paired.csv").open() as file:
        assert [(row["variant"], row["baseline"], row["pairs"]) for row in csv.DictReader(file)] == [
            ("loss=hinge", "loss=bt", "2")
        ]
    assert "left out" not in capsys.readouterr().out


def test_failing_jobs_leave_a_summary_each_and_the_sweep_goes_on(tmp_path, capsys):
    sweep_dir = tmp_path / "sweep"
    # both jobs fail as their config is built, before any training: the second still runs
    result = multirun("experiment=sweep_smoke", "hydra.sweeper.params.seed=0", "data.lab.beta_len=-1,-2",
                      f"hydra.sweep.dir={sweep_dir}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    runs = summaries(sweep_dir)
    assert [run["status"] for run in runs.values()] == ["failed"] * 4  # 2 losses x 2 values
    assert f"sweep: 0/4 completed (4 failed) in {sweep_dir}" in result.stdout
    assert "data.lab.beta_len: Input should be greater than or equal to 0 (got -2)" in runs["3"]["error"]

    from rmexp.compare.cli import main

    main([str(sweep_dir)])
    assert "4 left out" in capsys.readouterr().out
    with (sweep_dir / "compare" / "left_out.csv").open() as file:
        left_out = list(csv.DictReader(file))
    assert [(row["variant"], row["status"]) for row in left_out][:2] == [
        ("loss=bt, data.lab.beta_len=-1", "failed"),
        ("loss=bt, data.lab.beta_len=-2", "failed"),
    ]
    assert "(got -1)" in left_out[0]["reason"]


def compose_with_hydra(*overrides: str):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides), return_hydra_config=True)


@pytest.mark.parametrize("experiment", ABLATIONS)
def test_every_ablation_sweeps_five_seeds_and_names_what_to_compare(experiment):
    cfg = compose_with_hydra(f"experiment={experiment}")
    params = cfg.hydra.sweeper.params
    seeds = OverridesParser.create().parse_override(f"seed={params.seed}")
    assert list(seeds.sweep_string_iterator()) == ["0", "1", "2", "3", "4"]
    assert len(params) >= 2, "a variant key besides the seed"
    assert cfg.task_name == experiment and cfg.compare.metrics and cfg.compare.baseline
    assert cfg.export is False


def test_the_scale_knob_swaps_in_the_large_size():
    level = "+experiment/subjectivity=moderate"
    small = compose_with_hydra("experiment=feedback_type", level)
    large = compose_with_hydra("experiment=feedback_type", level, "experiment/scale=large")
    assert (small.data.lab.num_prompts, large.data.lab.num_prompts) == (600, 20000)
    assert (small.model.reward_model.hidden_size, large.model.reward_model.hidden_size) == (64, 256)
    assert large.trainer.precision == "bf16-mixed"
    assert large.data.lab.annotator_offset_spread == small.data.lab.annotator_offset_spread == 2.0
    assert large.data.lab.annotator_taste_spread == small.data.lab.annotator_taste_spread == 0.5


@pytest.mark.parametrize(
    ("arm", "module", "normalization"),
    [
        ("bt", "PairwiseRewardModule", None),
        ("pointwise", "PointwiseRewardModule", "none"),
        ("pointwise_per_annotator", "PointwiseRewardModule", "annotator"),
        ("listwise", "ListwiseRewardModule", None),
    ],
)
def test_each_feedback_arm_picks_its_loss_family_at_every_subjectivity_level(arm, module, normalization):
    spreads = []
    for level in ("low", "moderate", "strong"):
        cfg = compose_with_hydra("experiment=feedback_type", f"+experiment/subjectivity={level}",
                                 f"+experiment/feedback_arm={arm}")  # fmt: skip
        assert cfg.loss._target_.endswith(module)
        assert cfg.loss.get("score_normalization") == normalization
        lab = cfg.data.lab
        spreads.append((lab.annotator_scale_spread, lab.annotator_offset_spread, lab.annotator_taste_spread,
                        lab.annotator_length_spread))  # fmt: skip
    assert spreads == sorted(spreads) and len(set(spreads)) == 3, "each level more subjective than the last"


@pytest.mark.parametrize(
    ("override", "target"),
    [
        ("hydra/launcher=parallel", "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"),
        ("hydra/launcher=slurm", "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"),
        ("hydra/sweeper=search", "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"),
    ],
)
def test_launcher_and_sweeper_configs_compose_and_build_their_plugin(override, target):
    cfg = compose_with_hydra(override)
    node = cfg.hydra.launcher if "launcher" in override else cfg.hydra.sweeper
    assert node._target_ == target
    plugin = instantiate(node)
    assert type(plugin).__module__ + "." + type(plugin).__name__ == target


def test_the_slurm_launcher_asks_for_one_gpu_per_job_and_keeps_logs_in_the_sweep():
    launcher = compose_with_hydra("hydra/launcher=slurm", "hydra.launcher.partition=gpu").hydra.launcher
    assert (launcher.gpus_per_node, launcher.tasks_per_node, launcher.partition) == (1, 1, "gpu")
    assert launcher.submitit_folder.startswith("multirun/train/") and launcher.submitit_folder.endswith("/.submitit/%j")


def test_the_search_experiment_hands_its_space_to_optuna():
    cfg = compose_with_hydra("experiment=search_learning_rate")
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper")
    assert cfg.hydra.sweeper.params["optimizer.lr"] == "tag(log, interval(1e-4, 1e-2))"
    assert cfg.optimized_metric == "val/accuracy" and cfg.hydra.sweeper.direction == "maximize"


def test_the_search_sweeper_s_suggested_sqlite_storage_keeps_a_study(tmp_path, compose_train):
    """search.yaml suggests sqlite:///optuna.db; the installed optuna and SQLAlchemy must serve it."""
    import optuna

    assert "sqlite:///optuna.db" in (Path(CONFIG_DIR) / "hydra" / "sweeper" / "search.yaml").read_text()
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(storage=storage, study_name="search", direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("lr", 1e-4, 1e-2, log=True), n_trials=2)
    again = optuna.load_study(storage=storage, study_name="search")
    assert [trial.params for trial in again.trials] == [trial.params for trial in study.trials]
    assert len(again.trials) == 2
