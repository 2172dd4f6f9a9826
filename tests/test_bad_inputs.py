"""A catalogue of user mistakes across every entry point: each exits non-zero with a message that names the
file, line or key and what was expected, and never shows a Python traceback.

The entry points run in this process with their real command lines (Hydra parses `sys.argv` as it does
for the installed scripts), which keeps the catalogue fast; `test_the_installed_scripts_*` runs a few
through real subprocesses, where a stray traceback would show.
"""

import errno
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from .conftest import QUICK, REPO_ROOT, SMALL_LAB, folder_contents, run_entry_point

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out


def write(path: Path, rows: list) -> Path:
    path.write_text("".join(row if isinstance(row, str) else json.dumps(row) + "\n" for row in rows))
    return path


def pairs(n: int = 30, **overrides) -> list[dict]:
    return [
        {"prompt": f"question {i}", "chosen": f"a good answer {i}", "rejected": "no", **overrides} for i in range(n)
    ]


@pytest.fixture
def refuse_writes_in(monkeypatch) -> Callable[[Path], None]:
    """Make a folder refuse new files as a read-only one does; chmod would not stop root, who runs some CI."""

    def refuse(folder: Path) -> None:
        real_open = Path.open

        def open_refusing_writes(path: Path, mode: str = "r", *args, **kwargs):
            if path.parent == folder and set(mode) & set("wax+"):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, mode, *args, **kwargs)

        monkeypatch.setattr(Path, "open", open_refusing_writes)

    return refuse


def data_file_cases(tmp: Path) -> list[tuple[str, list[str], str]]:
    """(id, train overrides, expected message) for mistakes inside data files."""
    listwise = tmp / "lists.jsonl"
    write(listwise, [{"prompt": f"q{i}", "responses": ["a", "b", "c"], "ranks": [0, 0, 5]} for i in range(20)])
    rated = tmp / "rated.jsonl"
    write(
        rated, [{"prompt": f"q{i}", "response": f"r{i}", "score": float("nan") if i == 3 else 1.0} for i in range(20)]
    )
    bad_json = write(tmp / "bad_json.jsonl", [*pairs(5), "{not json\n", *pairs(5)])
    return [
        ("data file missing", ["data=jsonl", f"data.path={tmp / 'absent.jsonl'}"], f"{tmp / 'absent.jsonl'}"),
        ("data file empty", ["data=jsonl", f"data.path={write(tmp / 'empty.jsonl', [])}"], "empty.jsonl"),
        ("malformed JSON line", ["data=jsonl", f"data.path={bad_json}"], "bad_json.jsonl, line 6: not valid JSON"),
        (
            "missing field",
            ["data=jsonl", f"data.path={write(tmp / 'nochosen.jsonl', [{'prompt': 'q', 'rejected': 'r'}])}"],
            "nochosen.jsonl, line 1: field 'chosen'",
        ),  # fmt: skip
        (
            "chosen equal to rejected",
            ["data=jsonl", f"data.path={write(tmp / 'same.jsonl', pairs(3, rejected='same', chosen='same'))}"],
            "same.jsonl, line 1",
        ),  # fmt: skip
        (
            "wrong field type",
            ["data=jsonl", f"data.path={write(tmp / 'num.jsonl', pairs(3, chosen=7))}"],
            "num.jsonl, line 1: field 'chosen': expected a string, got 7",
        ),  # fmt: skip
        (
            "NaN score",
            [
                "data=jsonl",
                f"data.path={rated}",
                "~data.format",
                "loss=pointwise_mse",
                "+data.format={_target_:rmexp.data.formats.pointwise.RatedFields}",
            ],
            "rated.jsonl, line 4: field 'score': expected a finite number, got nan",
        ),  # fmt: skip
        (
            "ranking not a permutation",
            [
                "data=jsonl",
                f"data.path={listwise}",
                "~data.format",
                "loss=plackett_luce",
                "+data.format={_target_:rmexp.data.formats.listwise.RankedFields,ranking:ranks,ranking_kind:ranks}",
            ],
            "lists.jsonl, line 1: field 'ranks'",
        ),  # fmt: skip
        ("data path not set", ["data=jsonl"], "data.path is not set"),
        (
            "fractions leave no training split",
            [
                "data=jsonl",
                f"data.path={write(tmp / 'ok.jsonl', pairs())}",
                "data.val_fraction=0.5",
                "data.test_fraction=0.5",
            ],
            "sum < 1",
        ),  # fmt: skip
    ]


CONFIG_CASES = [
    ("unknown config option", ["loss=nope"], "Could not find 'loss/nope'"),
    ("unknown key", ["data.lab.beta_length=1"], "Key 'beta_length' is not in struct"),
    ("wrong type", ["data.batch_size=abc"], "data.batch_size: Input should be a valid integer"),
    (
        "out-of-range lab knob",
        ["data.lab.beta_len=-1"],
        "data.lab.beta_len: Input should be greater than or equal to 0",
    ),
    ("zero temperature", ["data.lab.temperature=0"], "data.lab.temperature: Input should be greater than 0"),
    ("inconsistent lengths", ["data.lab.length_min=40"], "length_min (40) must be <= length_max (32)"),
    ("list larger than the responses", ["data.lab.list_size=20"], "list_size (20) must be <= responses_per_prompt"),
    ("negative regularizer", ["loss.center_coef=-1"], "loss.center_coef=-1: expected a number >= 0"),
    ("unknown pooling", ["model.reward_model.pooling=max"], "model.reward_model.pooling: Input should be"),
    (
        "max length too small",
        ["data=jsonl", "data.path=x.jsonl", "data.max_length=3"],
        "data.max_length: Input should be greater than 4",
    ),
    ("bad trainer argument", ["trainer.accelerator=tpu_v9"], "invalid accelerator name: `accelerator='tpu_v9'`"),
    ("malformed override", ["data.lab.beta_len"], "Error parsing override 'data.lab.beta_len'"),
    ("resume a folder that is no run", ["resume=/no/run"], "resume=/no/run: /no/run/config.yaml does not exist"),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [case[1:] for case in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_train_config_mistakes(tmp_path, capfd, overrides, expected):
    lab = [] if "data=jsonl" in overrides else SMALL_LAB
    code, stderr = run_entry_point("train", [*lab, *QUICK, *overrides, f"hydra.run.dir={tmp_path}"], capfd)
    assert code != 0
    assert expected in stderr, stderr[-1500:]
    assert "Traceback" not in stderr


@pytest.mark.parametrize("case", range(10), ids=[c[0] for c in data_file_cases(Path("/tmp"))])
def test_train_data_file_mistakes(tmp_path, capfd, case):
    _, overrides, expected = data_file_cases(tmp_path)[case]
    code, stderr = run_entry_point("train", [*QUICK, *overrides, f"paths.cache_dir={tmp_path / 'cache'}",
                                             f"hydra.run.dir={tmp_path / 'run'}"], capfd)  # fmt: skip
    assert code != 0
    assert expected in stderr, stderr[-1500:]
    assert "Traceback" not in stderr


def test_resume_refuses_a_config_group_change(run_dir, capfd, tmp_path):
    code, stderr = run_entry_point("train", [f"resume={run_dir}", "loss=hinge", f"hydra.run.dir={tmp_path}"], capfd)
    assert code == 2
    assert "loss=hinge: a resumed run keeps its saved config" in stderr


def damaged_copies(run_dir: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    """Copies of the run folder or its export with one file broken: {label: (folder, expected message)}."""

    def copy(label: str, source: Path) -> Path:
        folder = tmp / label.replace(" ", "_")
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns("wandb", "plots", "export"))
        return folder

    cases = {}
    folder = copy("config not yaml", run_dir)
    (folder / "config.yaml").write_text("model:\n  tokenizer: [unclosed\n")
    cases["broken config.yaml"] = (folder, f"{folder / 'config.yaml'}, line 3: not valid YAML")
    folder = copy("foreign target", run_dir)
    config = OmegaConf.load(folder / "config.yaml")
    config.model.tokenizer = {"_target_": "builtins.open", "file": str(tmp / "code_ran"), "mode": "w"}
    OmegaConf.save(config, folder / "config.yaml")
    cases["foreign target"] = (folder, "model.tokenizer._target_='builtins.open' is not built from a run folder")
    folder = copy("summary not json", run_dir)
    (folder / "summary.json").write_text('{"status": "completed",')
    cases["broken summary.json"] = (folder, f"{folder / 'summary.json'}, line 1: not valid JSON")
    folder = copy("truncated checkpoint", run_dir)
    for checkpoint in (folder / "checkpoints").glob("*.ckpt"):
        checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    cases["truncated checkpoint"] = (folder, ".ckpt: not a readable Lightning checkpoint")
    folder = copy("truncated safetensors", run_dir / "export")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    cases["truncated safetensors"] = (folder, f"{weights}: not a readable safetensors file")
    return cases


# Resumes that cannot be honoured: each is refused with its reason, before anything in the run folder changes.
RESUME_CASES = [
    (
        "resume: a learning rate, which the optimizer's saved state would override",
        ["optimizer.lr=1e-4"],
        "optimizer.lr=1e-4: a resume cannot change optimizer.lr: the optimizer's hyper-parameters are restored",
    ),
    ("resume: a batch size of zero", ["data.batch_size=0"], "data.batch_size=0: a resume cannot change data"),
    ("resume: a word for a number", ["trainer.max_epochs=two"], "trainer.max_epochs=two: expected a whole number"),
    (
        "resume: a folder outside the run",
        ["trainer.default_root_dir=/tmp/elsewhere"],
        "a resume writes only inside its folder",
    ),
    ("resume: a trainer the config cannot build", ["trainer.accelerator=tpu_v9"], "invalid accelerator name"),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [case[1:] for case in RESUME_CASES], ids=[c[0] for c in RESUME_CASES]
)
def test_a_refused_resume_leaves_the_run_as_it_was(run_dir, tmp_path, capfd, overrides, expected):
    before = folder_contents(run_dir)
    code, stderr = run_entry_point("train", [f"resume={run_dir}", *overrides, f"hydra.run.dir={tmp_path}"], capfd)
    assert code != 0
    assert expected in stderr, stderr[-1500:]
    assert "Traceback" not in stderr
    assert folder_contents(run_dir) == before  # summary.json byte for byte: a completed run stays completed


def test_a_resume_whose_folder_refuses_writes_names_the_file(run_dir, tmp_path, capfd, refuse_writes_in):
    copy = shutil.copytree(run_dir, tmp_path / "run")
    before = folder_contents(copy)
    refuse_writes_in(copy)
    args = [f"resume={copy}", "trainer.max_epochs=2", f"hydra.run.dir={tmp_path / 'log'}"]
    code, stderr = run_entry_point("train", args, capfd)
    assert code == 2
    assert f"{copy / 'config.yaml'}: Permission denied" in stderr, stderr[-1500:]
    assert "Traceback" not in stderr
    assert folder_contents(copy) == before


def test_score_into_a_folder_that_refuses_writes_names_the_file(run_dir, tmp_path, capfd, refuse_writes_in):
    rows = write(tmp_path / "rows.jsonl", [{"prompt": "q", "response": "r"}])
    output = tmp_path / "out" / "scored.jsonl"
    output.parent.mkdir()
    refuse_writes_in(output.parent)
    code, stderr = run_entry_point("score", [f"reward_model={run_dir}", f"input={rows}", f"output={output}"], capfd)
    assert code == 2
    assert f"{output}: Permission denied" in stderr, stderr[-1500:]
    assert "Traceback" not in stderr
    assert list(output.parent.iterdir()) == []


def eval_and_score_cases(run_dir: Path, tmp: Path) -> list[tuple[str, str, list[str], str]]:
    other_backbone = tmp / "other"
    (other_backbone / "checkpoints").mkdir(parents=True)
    config = OmegaConf.load(run_dir / "config.yaml")
    config.model.reward_model.hidden_size = 32
    OmegaConf.save(config, other_backbone / "config.yaml")
    for checkpoint in (run_dir / "checkpoints").glob("*.ckpt"):
        (other_backbone / "checkpoints" / checkpoint.name).write_bytes(checkpoint.read_bytes())
    no_tokenizer = tmp / "no_tokenizer"
    no_tokenizer.mkdir()
    for file in (run_dir / "export").iterdir():
        if "token" not in file.name:
            (no_tokenizer / file.name).write_bytes(file.read_bytes())
    scored = write(tmp / "rows.jsonl", [{"prompt": "q", "response": "r"}, {"prompt": "q"}, "[1, 2]\n"])
    good_rows = write(tmp / "good.jsonl", [{"prompt": "q", "response": "r"}])
    damaged = damaged_copies(run_dir, tmp)
    no_runs = tmp / "no_runs"
    no_runs.mkdir()
    lab = SMALL_LAB
    return [
        ("eval: no model given", "eval", lab, "reward_model is required"),
        (
            "eval: model path missing",
            "eval",
            [*lab, f"reward_model={tmp / 'nowhere'}"],
            "expected an exported model folder",
        ),
        ("eval: unknown split", "eval", [*lab, f"reward_model={run_dir}", "split=dev"], "split='dev': expected one of"),
        (
            "eval: checkpoint from another backbone",
            "eval",
            [*lab, f"reward_model={other_backbone}"],
            "do not fit the model its config.yaml describes",
        ),
        ("eval: exported folder without its tokenizer", "eval", [*lab, f"reward_model={no_tokenizer}"], "tokenizer"),
        ("score: input missing", "score", [f"reward_model={run_dir}", f"input={tmp / 'absent.jsonl'}"], "no such file"),
        ("score: bad rows", "score", [f"reward_model={run_dir}", f"input={scored}"], "rows.jsonl:2: field 'response'"),
        (
            "score: empty file",
            "score",
            [f"reward_model={run_dir}", f"input={write(tmp / 'empty.jsonl', [])}"],
            "no rows",
        ),
        ("score: no model given", "score", [f"input={scored}"], "reward_model is required"),
        (
            "score: no input given",
            "score",
            [f"reward_model={run_dir}"],
            "input is required: give it on the command line",
        ),
        (
            "score: output folder missing",
            "score",
            [f"reward_model={run_dir}", f"input={scored}", f"output={tmp / 'nowhere' / 'out.jsonl'}"],
            f"the folder {tmp / 'nowhere'} does not exist",
        ),
        (
            "score: batch size zero",
            "score",
            [f"reward_model={run_dir}", f"input={scored}", "batch_size=0"],
            "batch_size",
        ),
        *[
            (f"score: {label}", "score", [f"reward_model={folder}", f"input={good_rows}"], expected)
            for label, (folder, expected) in damaged.items()
        ],
        (
            "eval: a run config.yaml that would build foreign code",
            "eval",
            [f"reward_model={damaged['foreign target'][0]}"],
            "model.tokenizer._target_='builtins.open' is not built from a run folder",
        ),
        ("compare: folder with no runs", "compare", [str(no_runs)], "no runs"),
        ("compare: folder missing", "compare", [str(tmp / "nowhere")], "nowhere"),
        ("compare: unknown metric", "compare", [str(run_dir), "--metric", "test/nope"], "test/nope"),
    ]


@pytest.mark.parametrize("case", range(21), ids=lambda case: f"case{case}")
def test_eval_score_and_compare_mistakes(run_dir, tmp_path, capfd, case):
    label, entry_point, args, expected = eval_and_score_cases(run_dir, tmp_path)[case]
    hydra_dir = [f"hydra.run.dir={tmp_path / 'out'}"] if entry_point == "eval" else []
    code, stderr = run_entry_point(entry_point, [*args, *hydra_dir], capfd)
    assert code != 0, label
    assert expected in stderr, f"{label}: {stderr[-1500:]}"
    assert "Traceback" not in stderr, label


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("rmexp.train", ["data.lab.beta_len=-1"], "data.lab.beta_len: Input should be greater than or equal to 0"),
        ("rmexp.score", ["reward_model=/nowhere", "input=/nowhere.jsonl"], "/nowhere.jsonl: no such file"),
    ],
)
def test_the_installed_scripts_show_no_traceback(tmp_path, script, args, expected):
    result = subprocess.run([sys.executable, "-m", script, *args, f"hydra.run.dir={tmp_path}"], capture_output=True,
                            text=True, cwd=REPO_ROOT, timeout=300)  # fmt: skip
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["eval", "bon"])
def test_a_report_folder_that_refuses_writes_names_the_file(run_dir, tmp_path, capfd, refuse_writes_in, command):
    report = tmp_path / "report"
    report.mkdir()
    refuse_writes_in(report)
    args = [f"reward_model={run_dir}", *SMALL_LAB, f"hydra.run.dir={report}"]
    code, stderr = run_entry_point(command, args, capfd)
    assert code == 2
    assert f"{report / 'config.yaml'}: Permission denied" in stderr, stderr[-1500:]
    assert "Traceback" not in stderr
