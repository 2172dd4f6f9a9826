"""Every file type a researcher brings reads to the same rows, located by line or record index."""

import json

import datasets
import pytest

from rmexp.data.readers import is_hub_id, read_splits
from rmexp.errors import UserError

from ..conftest import QUICK, run_entry_point
from .conftest import write_jsonl

ROWS = [
    {"prompt": "Why is the sky blue?", "chosen": "Rayleigh scattering.", "rejected": "Paint.", "score": 1.5},
    {"prompt": "2 + 2?", "chosen": "4", "rejected": "5", "score": 3.0},
]


def values(rows) -> list:
    return [row.values for row in rows]


@pytest.mark.parametrize("compress", [False, True], ids=["jsonl", "jsonl.gz"])
def test_json_lines_read_by_line_number_plain_or_gzipped(tmp_path, compress):
    path = write_jsonl(tmp_path / ("data.jsonl.gz" if compress else "data.jsonl"), [ROWS[0], "", ROWS[1]], compress)
    (rows,) = read_splits(path).values()
    assert values(rows) == ROWS
    assert [row.location for row in rows] == ["line 1", "line 3"]  # the blank line keeps its number


def test_a_json_list_reads_by_record_index(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps(ROWS, indent=2))
    (rows,) = read_splits(path).values()
    assert values(rows) == ROWS and rows[1].location == "record 1"


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_parquet_and_csv_read_through_datasets(tmp_path, suffix):
    path = tmp_path / f"data.{suffix}"
    getattr(datasets.Dataset.from_list(ROWS), f"to_{suffix}")(str(path))
    splits = read_splits(path, cache_dir=tmp_path / "cache")
    assert list(splits) == ["all"]  # one file has no splits of its own
    assert values(splits["all"]) == ROWS and splits["all"][1].location == "record 1"


def test_a_save_to_disk_folder_keeps_its_own_splits(tmp_path):
    table = datasets.Dataset.from_list(ROWS)
    datasets.DatasetDict({"train": table, "test": table.select([1])}).save_to_disk(str(tmp_path / "saved"))
    splits = read_splits(tmp_path / "saved")
    assert values(splits["train"]) == ROWS and values(splits["test"]) == ROWS[1:]


def test_a_folder_of_data_files_loads_with_load_dataset_and_its_splits(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", ROWS[:1])
    write_jsonl(folder / "test.jsonl", ROWS[1:])
    splits = read_splits(folder, cache_dir=tmp_path / "cache")
    assert values(splits["train"]) == ROWS[:1] and values(splits["test"]) == ROWS[1:]


def test_a_missing_file_says_where_it_looked_and_what_to_do(tmp_path):
    with pytest.raises(UserError, match=r"nope\.jsonl: no such file or folder\. Point data\.path at JSON Lines"):
        read_splits(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("path", ["Anthropic/hh-rlhf", "openbmb/UltraFeedback", "allenai/reward-bench"])
def test_owner_slash_name_reads_as_a_hub_id(path):
    assert is_hub_id(path)


@pytest.mark.parametrize("path", ["pairs.jsonl", "data/pairs.jsonl", "data/pairs.jsonl.gz", "/abs/owner/name",
                                  "./owner/name", "a/b/c", "data/rows.parquet"])  # fmt: skip
def test_a_file_name_or_a_deeper_path_stays_a_local_path(path):
    assert not is_hub_id(path)


def test_a_missing_local_file_under_a_folder_keeps_its_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"^data/pairs\.jsonl: no such file or folder\. Point data\.path at"):
        read_splits("data/pairs.jsonl")


@pytest.mark.e2e
def test_a_hub_id_without_a_network_is_one_line_naming_it_and_the_hub(tmp_path, capfd, monkeypatch):
    """The hub out of reach, as offline mode makes it on any machine (a real dead network retries for ~30 s)."""
    import datasets
    import huggingface_hub

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    code, stderr = run_entry_point("train", ["data=jsonl", "data.path=rmexp-nobody/no-such-pairs", *QUICK,
                                             f"hydra.run.dir={tmp_path}"], capfd)  # fmt: skip
    assert code == 2
    assert "error: rmexp-nobody/no-such-pairs: no such local file or folder, and the Hugging Face hub" in stderr
    assert "could not be reached" in stderr
    assert "Traceback" not in stderr


def test_an_unsupported_file_type_lists_the_supported_ones(tmp_path):
    (tmp_path / "data.xlsx").write_text("")
    with pytest.raises(UserError, match=r"data\.xlsx: unsupported file type; rmexp reads JSON Lines .*Parquet"):
        read_splits(tmp_path / "data.xlsx")
