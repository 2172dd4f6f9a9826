"""`rmexp score`: a JSON Lines file in, the same rows with a `reward` out; bad rows named by line."""

import json
import resource
import subprocess
import sys

import pytest
import torch
from hydra.utils import instantiate

from rmexp.data.encoding import encode_responses
from rmexp.errors import UserError
from rmexp.export import export_reward_model
from rmexp.score import score_file

from .conftest import REPO_ROOT, run_command

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

ROWS = [
    {"prompt": "explain music", "response": "the song was loud and good", "id": 1},
    {"messages": [{"role": "user", "content": "review travel"}, {"role": "assistant", "content": "fine"}]},
    {"prompt": "describe the history of cooking", "response": "a long story about bread and salt"},
]


@pytest.fixture
def tiny_model(compose_train):
    torch.manual_seed(0)
    cfg = compose_train()
    tokenizer = instantiate(cfg.model.tokenizer)
    return instantiate(cfg.model.reward_model, tokenizer=tokenizer, head_init_std=0.5).eval(), tokenizer


def write_jsonl(path, lines):
    path.write_text("".join(line if isinstance(line, str) else json.dumps(line) + "\n" for line in lines))
    return path


def test_every_row_comes_back_with_its_own_reward(tiny_model, tmp_path):
    model, tokenizer = tiny_model
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    assert score_file(model, tokenizer, source, tmp_path / "out.jsonl", batch_size=2, show_progress=False) == 3

    scored = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [{k: v for k, v in row.items() if k != "reward"} for row in scored] == ROWS  # order and fields kept
    # each reward is the model's score of that row alone, batching and sorting by length notwithstanding
    texts = [("explain music", "the song was loud and good"), ("\n\nHuman: review travel\n\nAssistant:", "fine"),
             ("describe the history of cooking", "a long story about bread and salt")]  # fmt: skip
    for (prompt, response), row in zip(texts, scored, strict=True):
        ids = torch.tensor([encode_responses(tokenizer, [prompt], [response], 512)[0].input_ids])
        assert row["reward"] == pytest.approx(model.score(ids, torch.ones_like(ids)).item(), abs=1e-5)
    assert len({row["reward"] for row in scored}) == 3


def test_bad_rows_are_named_by_line_and_field_before_anything_is_written(tiny_model, tmp_path):
    model, tokenizer = tiny_model
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [ROWS[0], "{not json\n", {"prompt": "p", "response": 3}, {"messages": [{"role": "user", "content": "hi"}]}],
    )
    with pytest.raises(UserError) as error:
        score_file(model, tokenizer, source, tmp_path / "out.jsonl", show_progress=False)
    message = str(error.value)
    assert f"{source}:2: not valid JSON" in message
    assert f"{source}:3: field 'response': expected a string, got 3" in message
    assert f"{source}:4: field 'messages': expected a conversation whose last turn, the response to score" in message
    assert ":1:" not in message
    assert not (tmp_path / "out.jsonl").exists()


def test_a_file_larger_than_one_chunk_is_scored_in_order(tiny_model, tmp_path, monkeypatch):
    model, tokenizer = tiny_model
    monkeypatch.setattr("rmexp.score.CHUNK_ROWS", 2)
    rows = [{"prompt": "explain music", "response": " ".join(["good"] * n), "n": n} for n in range(1, 8)]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    assert score_file(model, tokenizer, source, tmp_path / "out.jsonl", show_progress=False) == 7
    chunked = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["n"] for row in chunked] == list(range(1, 8))
    monkeypatch.setattr("rmexp.score.CHUNK_ROWS", 4096)
    score_file(model, tokenizer, source, tmp_path / "whole.jsonl", show_progress=False)
    unchunked = [json.loads(line) for line in (tmp_path / "whole.jsonl").read_text().splitlines()]
    assert [row["reward"] for row in chunked] == pytest.approx([row["reward"] for row in unchunked], abs=1e-5)


def test_the_cli_scores_a_file_with_an_exported_model(tiny_model, tmp_path, capfd):
    export_reward_model(*tiny_model, tmp_path / "rm")
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    arguments = [f"reward_model={tmp_path / 'rm'}", "batch_size=2"]
    code, stdout, stderr = run_command("score", [*arguments, f"input={source}"], capfd)
    assert code == 0, stderr[-2000:]
    assert "scored 3 rows" in stdout
    scored = [json.loads(line) for line in (tmp_path / "in.scored.jsonl").read_text().splitlines()]
    assert all(isinstance(row["reward"], float) for row in scored)

    bad = write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "p"}])
    code, _, stderr = run_command("score", [*arguments, f"input={bad}"], capfd)
    assert code == 2
    assert f"{bad}:1: field 'response': expected a value (the row has ['prompt'])" in stderr
    assert "Traceback" not in stderr


def test_scoring_does_not_import_lightning():
    """rmexp-score starts in the time torch and transformers take to import; Lightning's would add seconds."""
    probe = "import sys, rmexp.score; print(sorted(name for name in sys.modules if 'lightning' in name))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_a_full_disk_leaves_no_partial_output_and_names_the_file(tiny_model, tmp_path):
    export_reward_model(*tiny_model, tmp_path / "rm")
    source = write_jsonl(tmp_path / "in.jsonl", ROWS * 100)
    output = tmp_path / "out" / "scored.jsonl"
    output.parent.mkdir()

    # a process may write no file larger than 4 kB: the scored rows (about 20 kB) fail part-written, as on a full disk
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    command = [sys.executable, "-m", "rmexp.score", f"reward_model={tmp_path / 'rm'}", f"input={source}",
               f"output={output}"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300, preexec_fn=small_files)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{output}: File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(output.parent.iterdir()) == []
