"""rmexp-bon: best-of-n with a trained reward model on the lab, gold against proxy reward as n grows.

rmexp-bon reward_model=outputs/train/<run>                           # on that run's lab and seed
rmexp-bon reward_model=<run>/export generator=length_shifted          # candidates longer than in training
rmexp-bon data.lab.beta_len=1.0 loss.length_decorrelation_coef=1.0    # no reward_model: train one here first
rmexp-bon -m experiment=best_of_n                                     # the sweep: train, then best-of-n, per job

For each test prompt of the lab it draws N candidates from the lab's response process, scores them
with the RM (the proxy) and with gold, and reports the expected gold, proxy and length of the
best-of-n pick for n = 1, 2, 4, ..., N (rmexp/bon/curve.py): a table (`best_of_n.csv`), two plots,
the same in W&B, and the headline figures under `metrics` in `summary.json` for `rmexp compare`.
"""

import csv
import time
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import Logger
from rich.console import Console
from rich.table import Table

from rmexp import CONFIG_DIR
from rmexp.bon.curve import COLUMNS, best_of_n_curve, headline, powers_of_two
from rmexp.bon.plots import plot_over_optimisation, plot_pick_length
from rmexp.config_checks import check_bon_config
from rmexp.data.lab import generate
from rmexp.data.splits import SPLITS
from rmexp.devices import resolve_device
from rmexp.errors import UserError, composed_or_exit_2, describe_user_error
from rmexp.export import load_reward_model
from rmexp.judged_data import command_line_overrides, with_the_runs_data
from rmexp.lifecycle import RunStopped, interruption, run_job
from rmexp.loggers import build_loggers, finish_wandb, log_final_metrics, wandb_of
from rmexp.score import reward_texts
from rmexp.summary import print_results_table, write_config, write_json_atomic
from rmexp.train import train


def checked_n_values(cfg: DictConfig) -> list[int]:
    """The n to report, in increasing order; a UserError for any setting best-of-n cannot run with."""
    if "lab" not in cfg.data:
        choice = HydraConfig.get().runtime.choices.get("data") if HydraConfig.initialized() else None
        raise UserError(
            f"data={choice or cfg.data.get('_target_')}: best-of-n needs the synthetic lab (data=synthetic), "
            "the only data that knows the gold reward of a response it has never seen"
        )
    for key in ("num_candidates", "max_prompts"):
        value = cfg.bon[key]
        if not (isinstance(value, int) and value >= 1) and not (key == "max_prompts" and value is None):
            raise UserError(f"bon.{key}={value!r}: expected a whole number >= 1")
    num_candidates = cfg.bon.num_candidates
    if cfg.bon.n_values is None:
        return powers_of_two(num_candidates)
    n_values = list(cfg.bon.n_values) if OmegaConf.is_list(cfg.bon.n_values) else [cfg.bon.n_values]
    for n in n_values:
        if not isinstance(n, int) or not 1 <= n <= num_candidates:
            raise UserError(
                f"bon.n_values={n_values}: {n!r} is not a whole number in [1, bon.num_candidates={num_candidates}]; "
                "best-of-n is estimated from the N candidates drawn, so n can be at most N"
            )
    return sorted(set(n_values))


def checked_reward_model(cfg: DictConfig) -> Path:
    """The trained model's path, which must exist."""
    path = Path(cfg.reward_model)
    if not path.exists():
        raise UserError(
            f"reward_model={cfg.reward_model}: no such file or folder; expected an exported folder, "
            "a run folder or a .ckpt file (or reward_model=null to train one first)"
        )
    return path


def best_of_n(cfg: DictConfig, output_dir: Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """Train first when no reward model is given, then best-of-n on the lab's test prompts; return the summary.

    A trained model is judged on its run's lab and seed, `overrides` (None: Hydra's) on top
    (rmexp/judged_data.py), so its test prompts are the ones training held out.

    `summary.json` says `running` until best-of-n is done as well, and `failed` with the `error` when
    anything stops it: a sweep must not count a job whose training completed but whose best-of-n did
    not. Training that stops early writes its own summary and raises `RunStopped`.
    """
    started = time.time()
    overrides = command_line_overrides() if overrides is None else overrides
    summary = {"seed": cfg.seed, "overrides": overrides, "metrics": {}, "output_dir": str(output_dir)}
    try:
        check_bon_config(cfg)
        if cfg.reward_model is not None:
            checked_reward_model(cfg)
            cfg, summary["judged_on"] = with_the_runs_data(cfg, overrides)
            summary["seed"] = cfg.seed
        n_values = checked_n_values(cfg)
        device = resolve_device(cfg.bon.device, key="bon.device")  # before any training: a bad device fails at once
        if cfg.reward_model is None:
            summary = train(cfg, output_dir)
        reward_model = output_dir if cfg.reward_model is None else Path(cfg.reward_model)
        write_json_atomic(output_dir / "summary.json", summary | {"status": "running"})
        summary["best_of_n"], metrics = run_best_of_n(cfg, Path(reward_model), n_values, output_dir, device)
    except RunStopped:
        raise
    except BaseException as error:  # SIGTERM or Ctrl-C while scoring ends the job `interrupted`, as in training
        stop = interruption(error)
        status = "failed" if stop is None else stop.status
        message = str(stop) if stop else describe_user_error(error) or f"{type(error).__name__}: {error}"
        write_json_atomic(output_dir / "summary.json", summary | {"status": status, "error": f"best-of-n: {message}"})
        raise
    summary |= {"status": "completed", "metrics": summary["metrics"] | metrics}
    summary["wall_time_s"] = round(time.time() - started, 1)  # training included, when it ran here
    write_json_atomic(output_dir / "summary.json", summary)
    return summary


def run_best_of_n(
    cfg: DictConfig, reward_model: Path, n_values: list[int], output_dir: Path, device: torch.device
) -> tuple[dict[str, Any], dict[str, float]]:
    """Draw, score, estimate, report: the `best_of_n` section of the summary and the headline metrics."""
    started = time.time()
    model, tokenizer = load_reward_model(reward_model)
    model.to(device)
    lab = generate(instantiate(cfg.data.lab))
    prompts = np.flatnonzero(lab.prompt_split == SPLITS.index("test"))[: cfg.bon.max_prompts]
    candidates = instantiate(cfg.generator)(lab, prompts, cfg.bon.num_candidates)
    rewards = reward_texts(model, tokenizer, candidates.prompt_response_pairs(), batch_size=cfg.bon.batch_size,
                           max_length=cfg.data.max_length)  # fmt: skip
    rows = best_of_n_curve(np.reshape(rewards, candidates.gold.shape), candidates.gold, candidates.length, n_values)
    metrics = headline(rows)
    loggers = build_loggers(cfg.get("logger"))
    section = {
        "reward_model": str(reward_model),
        "prompts": len(prompts),
        "num_candidates": cfg.bon.num_candidates,
        "generator": OmegaConf.to_container(cfg.generator, resolve=True),
        "table": rows,
        **report(rows, output_dir, loggers, metrics),
        "wall_time_s": round(time.time() - started, 1),
    }
    return section, metrics


def report(rows: list[dict], output_dir: Path, loggers: list[Logger], metrics: dict[str, float]) -> dict[str, Any]:
    """The table as CSV, the two plots, and the same with the headline metrics in the loggers (plots in W&B)."""
    table_path = output_dir / "best_of_n.csv"
    with table_path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    plots = {
        "over_optimisation": plot_over_optimisation(
            {"": rows},
            output_dir / "plots" / "bon_over_optimisation.png",
            title="best-of-n: gold and proxy reward of the pick",
        ),
        "pick_length": plot_pick_length(
            {"": rows}, output_dir / "plots" / "bon_pick_length.png", title="best-of-n: length of the pick"
        ),  # fmt: skip
    }
    log_final_metrics(loggers, metrics)
    if (wandb_logger := wandb_of(loggers)) is not None:
        import wandb

        wandb_logger.experiment.log({f"bon/{name}_plot": wandb.Image(str(path)) for name, path in plots.items()})
        wandb_logger.log_table(key="bon/curve", columns=list(COLUMNS), data=[[row[c] for c in COLUMNS] for row in rows])
    finish_wandb(loggers)
    return {"table_csv": str(table_path), "plots": {name: str(path) for name, path in plots.items()}}


def curve_table(rows: list[dict]) -> Table:
    table = Table(title="best-of-n: the pick's expected reward (proxy on gold's scale)")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(str(row["n"]), *(f"{row[column]:.3f}" for column in COLUMNS[1:]))
    return table


def best_of_n_job(cfg: DictConfig, output_dir: Path) -> dict[str, Any]:
    """The command's job: its config saved, best-of-n (training first when asked), the tables at the end."""
    write_config(output_dir, cfg)
    summary = best_of_n(cfg, output_dir)
    if cfg.reward_model is None:
        print_results_table(summary["metrics"])
    Console().print(curve_table(summary["best_of_n"]["table"]))
    Console().print(f"run folder: {output_dir}")
    return summary


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="bon")
def main(cfg: DictConfig) -> dict[str, Any] | None:
    """As every command (rmexp/lifecycle.py): a mistake or a stop is one line; in a sweep the other jobs go on."""
    return run_job(cfg, best_of_n_job)


cli = composed_or_exit_2(main)  # the installed command (pyproject.toml)

if __name__ == "__main__":
    cli()
