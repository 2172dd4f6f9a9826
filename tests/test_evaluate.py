"""After a run: plots, export and `rmexp eval`, which reports what training reported on the same split."""

import json
import logging
import shutil
import sys

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from rmexp import CONFIG_DIR
from rmexp.evaluate import evaluate
from rmexp.evaluate import main as evaluate_main
from rmexp.train import train

from .conftest import LEARNABLE_LAB

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

QUICK_LAB = LEARNABLE_LAB


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One short run shared by the tests below: training is the slow part."""
    run_dir = tmp_path_factory.mktemp("run")
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", overrides=[f"paths.output_dir={run_dir}", *QUICK_LAB, "trainer.max_epochs=2",
                                          "logger=none", "trainer.enable_progress_bar=false",
                                          "callbacks.progress_bar=null", "callbacks.model_summary=null",
                                          "bootstrap_samples=200"])  # fmt: skip
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))  # as rmexp-train writes it
    return train(cfg, run_dir), run_dir


def compose_eval(*overrides, lab=QUICK_LAB):
    """The eval config; no intervals unless a test asks for them (their resamples cost seconds)."""
    quiet = [] if any(item.startswith("bootstrap_samples=") for item in overrides) else ["bootstrap_samples=0"]
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("eval", overrides=[*lab, *quiet, "progress_bar=false", *overrides])


def test_a_run_leaves_plots_an_export_and_the_diagnostics(finished_run):
    summary, run_dir = finished_run
    assert summary["after_training_errors"] == {}
    assert (run_dir / "export" / "model.safetensors").is_file()
    assert (run_dir / "plots" / "test_reward_vs_length.png").stat().st_size > 1000
    assert (run_dir / "plots" / "test_reliability.png").stat().st_size > 1000
    on_disk = json.loads((run_dir / "summary.json").read_text())
    assert on_disk["artifacts"]["export"] == str(run_dir / "export")
    for name in ("ece", "longer_preferred_rate", "accuracy_length_inverted", "reward_per_100_tokens",
                 "length_partial_corr", "r2_gold_length"):  # fmt: skip
        assert f"test/{name}" in on_disk["metrics"], name
    # each test metric's 95% interval over resampled prompts brackets it, and is narrower than [0, 1]
    low, high = on_disk["intervals"]["test/gold_accuracy"]
    assert low < on_disk["metrics"]["test/gold_accuracy"] < high and 0 < high - low < 0.2
    assert set(on_disk["intervals"]) >= {"test/accuracy", "test/ece", "test/accuracy_length_matched"}


@pytest.mark.parametrize("source", ["run folder", "export"])
def test_eval_reports_what_training_reported_on_the_test_split(finished_run, tmp_path, source):
    summary, run_dir = finished_run
    model_path = run_dir if source == "run folder" else run_dir / "export"
    report = evaluate(
        compose_eval(f"reward_model={model_path}", f"paths.output_dir={tmp_path / 'eval'}", "bootstrap_samples=200"),
        tmp_path / "eval",
    )
    for name in ("accuracy", "gold_accuracy", "length_corr", "ece", "accuracy_length_inverted"):
        assert report["metrics"][f"test/{name}"] == pytest.approx(summary["metrics"][f"test/{name}"], abs=1e-4), name
        # the same prompts resampled with the same seed: the same intervals
        assert report["intervals"][f"test/{name}"] == pytest.approx(summary["intervals"][f"test/{name}"], abs=1e-4)
    assert (tmp_path / "eval" / "summary.json").is_file()
    assert (tmp_path / "eval" / "plots" / "test_reliability.png").is_file()


def test_a_failing_export_is_reported_and_the_run_kept(compose_train, tmp_path):
    cfg = compose_train(*QUICK_LAB, "trainer.max_epochs=1", "logger=none", "callbacks=none", "bootstrap_samples=0",
                        "trainer.enable_progress_bar=false", "model.reward_model.architecture=bert",
                        "model.reward_model.pooling=mean", "data.lab.num_prompts=60")  # fmt: skip
    summary = train(cfg, tmp_path)
    assert "pooling='mean'" in summary["after_training_errors"]["export"]
    assert "report" in summary["artifacts"]
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "completed"


def test_eval_reports_accuracy_per_subset_of_a_benchmark_file(finished_run, tmp_path):
    _, run_dir = finished_run
    words = ["music", "cooking", "travel", "history", "good", "bad", "long", "short", "story", "song"]
    rows = [
        {"prompt": f"explain {words[i % 10]} {words[(i * 3) % 10]} {i}", "chosen": f"{words[i % 7]} {words[i % 5]}",
         "rejected": f"{words[(i + 1) % 9]}", "subset": "chat" if i % 3 else "safety"}
        for i in range(60)
    ]  # fmt: skip
    data_file = tmp_path / "bench.jsonl"
    data_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    data = ["data=jsonl", f"data.path={data_file}", "data.format.subset=subset", "data.test_fraction=0.5",
            "data.cache_dir=null"]  # fmt: skip
    cfg = compose_eval(f"reward_model={run_dir / 'export'}", f"paths.output_dir={tmp_path / 'eval'}", *data, lab=[])
    metrics = evaluate(cfg, tmp_path / "eval", overrides=data)["metrics"]

    counts = {name: metrics[f"test/pairs/{name}"] for name in ("chat", "safety")}
    assert all(count > 0 for count in counts.values()) and sum(counts.values()) < len(rows)
    weighted = sum(metrics[f"test/accuracy/{name}"] * count for name, count in counts.items()) / sum(counts.values())
    assert weighted == pytest.approx(metrics["test/accuracy"], abs=1e-6)


def test_a_run_is_judged_on_its_own_data_and_seed_without_being_told(finished_run, tmp_path):
    summary, run_dir = finished_run
    cfg = compose_eval(f"reward_model={run_dir}", f"paths.output_dir={tmp_path}", lab=[])  # the default lab's keys
    report = evaluate(cfg, tmp_path)
    assert report["judged_on"]["from"] == str(run_dir / "config.yaml")
    assert report["judged_on"]["data"]["lab"]["num_prompts"] == 400 and report["judged_on"]["differs_from_run"] == []
    for name in ("accuracy", "gold_accuracy", "length_corr"):
        assert report["metrics"][f"test/{name}"] == pytest.approx(summary["metrics"][f"test/{name}"], abs=1e-4), name


def test_data_keys_given_that_differ_from_the_runs_are_named(finished_run, tmp_path, caplog):
    _, run_dir = finished_run
    given = ["data.lab.beta_len=1", "seed=3"]
    cfg = compose_eval(f"reward_model={run_dir / 'checkpoints' / 'last.ckpt'}", f"paths.output_dir={tmp_path}", *given,
                       lab=[])  # fmt: skip
    with caplog.at_level(logging.WARNING):
        judged_on = evaluate(cfg, tmp_path, overrides=given)["judged_on"]
    for differ in ("data.lab.beta_len=1 (trained: 0.1)", "data.lab.seed=3 (trained: 0)", "seed=3 (trained: 0)"):
        assert differ in caplog.text and differ in judged_on["differs_from_run"], differ
    assert len(judged_on["differs_from_run"]) == 3
    assert judged_on["data"]["lab"]["num_prompts"] == 400  # the run's keys that were not given stay the run's


def test_an_export_without_its_run_says_which_data_it_is_judged_on(finished_run, tmp_path, caplog):
    _, run_dir = finished_run
    shutil.copytree(run_dir / "export", tmp_path / "model")
    with caplog.at_level(logging.WARNING):
        judged_on = evaluate(compose_eval(f"reward_model={tmp_path / 'model'}", f"paths.output_dir={tmp_path}"),
                             tmp_path)["judged_on"]  # fmt: skip
    assert "no training run config.yaml beside it" in caplog.text
    assert "data.lab.num_prompts=400" in caplog.text and "seed=0" in caplog.text
    assert judged_on["from"].startswith("the command line") and judged_on["data"]["lab"]["num_prompts"] == 400


def test_the_command_line_warns_naming_the_keys_that_differ(finished_run, tmp_path, capfd):
    _, run_dir = finished_run
    saved, sys.argv = sys.argv, ["rmexp-eval", f"reward_model={run_dir}", "data.lab.beta_len=1", "logger=none",
                                 "bootstrap_samples=0", f"hydra.run.dir={tmp_path}"]  # fmt: skip
    GlobalHydra.instance().clear()
    try:
        evaluate_main()
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()
    out = capfd.readouterr()
    assert "data.lab.beta_len=1 (trained: 0.1)" in out.out + out.err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["judged_on"]["differs_from_run"] == ["data.lab.beta_len=1 (trained: 0.1)"]
