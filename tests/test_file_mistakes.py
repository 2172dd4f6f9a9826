"""Files that cannot be read as what they claim to be: binary, truncated or falsely compressed, read through one
reader (rmexp.data.readers.numbered_lines) that names the file and the line, for the data and for rmexp-score."""

import gzip
import json
from pathlib import Path

import pytest

from rmexp.data.readers import numbered_lines, read_splits
from rmexp.errors import UserError

from .conftest import QUICK, run_entry_point
from .test_bad_inputs import pairs, write

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

BINARY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # a PNG image's first bytes: 0x89 is no UTF-8 start


def jsonl_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def truncated_gzip(rows: list[dict]) -> bytes:
    whole = gzip.compress(jsonl_bytes(rows))
    return whole[: len(whole) // 2]


def test_a_gzip_file_is_read_whatever_its_name(tmp_path):
    named = tmp_path / "rows.jsonl.gz"
    named.write_bytes(gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    unnamed = tmp_path / "rows.jsonl"
    unnamed.write_bytes(named.read_bytes())
    assert list(numbered_lines(named)) == list(numbered_lines(unnamed)) == [(1, '{"a": 1}\n'), (2, '{"a": 2}\n')]


def test_a_bad_byte_is_reported_at_its_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 5000 + b'{"a": "\xff"}\n')  # past the first block a text stream would decode
    with pytest.raises(UserError, match=r"rows.jsonl:5001: not UTF-8 text \(byte 0xff at column 8\)"):
        read_splits(path)


FILE_CASES = [
    ("binary data file", "data.jsonl", BINARY, "data.jsonl:1: not UTF-8 text (byte 0x89 at column 1)"),
    ("truncated .gz", "data.jsonl.gz", truncated_gzip(pairs(400)), "the compressed data is cut short"),
    ("a .gz that is not gzip", "data.jsonl.gz", jsonl_bytes(pairs(30)), "data.jsonl.gz: not gzip-compressed"),
]


@pytest.mark.parametrize(("name", "content", "expected"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_train_names_the_file_and_line_it_cannot_read(tmp_path, capfd, name, content, expected):
    (tmp_path / name).write_bytes(content)
    args = [*QUICK, "data=jsonl", f"data.path={tmp_path / name}", f"paths.cache_dir={tmp_path / 'cache'}"]
    code, stderr = run_entry_point("train", [*args, f"hydra.run.dir={tmp_path / 'run'}"], capfd)
    assert code == 2, stderr[-1500:]
    assert expected in stderr, stderr[-1500:]
    assert "Traceback" not in stderr


def test_a_truncated_gzip_names_the_line_where_it_ends(tmp_path):
    path = tmp_path / "data.jsonl.gz"
    path.write_bytes(truncated_gzip(pairs(400)))
    with pytest.raises(UserError, match=r"data.jsonl.gz:\d+: the compressed data is cut short after line \d+"):
        read_splits(path)


DATA_CASES = [
    (
        "unbalanced prompt template",
        ["data.format.prompt_template='Question: {prompt'"],
        "data.format.prompt_template: Value error, 'Question: {prompt': expected '}' before end of string",
    ),
    (
        "positional prompt template",
        ["data.format.prompt_template='Question: {}'"],
        "data.format.prompt_template: Value error, 'Question: {}': {} names no field",
    ),
    (
        "skip drops every row",
        ["data.on_error=skip", "data.format.chosen=answer"],
        "data.on_error=skip dropped all 30 rows (30 missing field); the first, line 1: field 'answer'",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), [c[1:] for c in DATA_CASES], ids=[c[0] for c in DATA_CASES])
def test_train_names_what_is_wrong_with_the_data_settings(tmp_path, capfd, overrides, expected):
    path = write(tmp_path / "pairs.jsonl", pairs(30))
    args = [*QUICK, "data=jsonl", f"data.path={path}", f"paths.cache_dir={tmp_path / 'cache'}", *overrides]
    code, stderr = run_entry_point("train", [*args, f"hydra.run.dir={tmp_path / 'run'}"], capfd)
    assert code == 2, stderr[-1500:]
    assert expected in stderr, stderr[-1500:]
    assert "Traceback" not in stderr


SCORE_ROWS = [{"prompt": "q", "response": "r"}] * 5000
SCORE_FILE_CASES = [
    ("binary input", "rows.jsonl", BINARY, "rows.jsonl:1: not UTF-8 text (byte 0x89 at column 1)"),
    ("truncated gzip input", "rows.jsonl.gz", truncated_gzip(SCORE_ROWS), "the compressed data is cut short"),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"), [c[1:] for c in SCORE_FILE_CASES], ids=[c[0] for c in SCORE_FILE_CASES]
)
def test_score_names_the_file_and_line_it_cannot_read(run_dir, tmp_path, capfd, name, content, expected):  # noqa: F811
    (tmp_path / name).write_bytes(content)
    code, stderr = run_entry_point("score", [f"reward_model={run_dir}", f"input={tmp_path / name}"], capfd)
    assert code == 2, stderr[-1500:]
    assert expected in stderr
    assert "Traceback" not in stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [name]  # no output, no .tmp


def test_score_reads_a_gzipped_input(run_dir, tmp_path, capfd):  # noqa: F811
    rows = [{"prompt": "a question", "response": f"answer {i}"} for i in range(3)]
    (tmp_path / "rows.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes(rows)))
    output = tmp_path / "scored.jsonl"
    code, stderr = run_entry_point("score", [f"reward_model={run_dir}", f"input={tmp_path / 'rows.jsonl.gz'}",
                                             f"output={output}"], capfd)  # fmt: skip
    assert code == 0, stderr[-1500:]
    scored = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["response"] for row in scored] == [row["response"] for row in rows]
    assert all(isinstance(row["reward"], float) for row in scored)


def test_score_leaves_no_temporary_file_when_scoring_fails(run_dir, tmp_path, monkeypatch):  # noqa: F811
    from rmexp import score
    from rmexp.export import load_reward_model

    def broken(*args, **kwargs):
        raise RuntimeError("the model failed mid-file")

    monkeypatch.setattr(score, "score_texts", broken)
    rows = write(tmp_path / "rows.jsonl", [{"prompt": "q", "response": "r"}])
    model, tokenizer = load_reward_model(run_dir)
    with pytest.raises(RuntimeError):
        score.score_file(model, tokenizer, rows, tmp_path / "scored.jsonl", show_progress=False)
    assert sorted(path.name for path in Path(tmp_path).iterdir()) == ["rows.jsonl"]
