"""Upload an export to a Hugging Face hub model repository, after training, where the machine reaches the hub.

The push is the last step of a run and optional (`push_to_hub=<owner>/<name>`): the export and its
model card are already on disk, so a push that fails (no network, no token, no right to the
repository) is reported with the command that uploads the same folder later, and the run is kept.
"""

import re
from pathlib import Path

from rmexp.errors import UserError, first_line

# what the hub accepts as a repository id: an owner and a name, each of letters, digits, '-', '_', '.'
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def check_repo_id(repo_id: object, key: str = "push_to_hub") -> None:
    """Before training: a repository id the hub would refuse must not cost a run."""
    if not isinstance(repo_id, str) or not REPO_ID.match(repo_id) or ".." in repo_id:
        raise UserError(f"{key}={repo_id!r}: expected a hub model repository as <owner>/<name>, e.g. my-lab/rm-bt")


def push_export(folder: Path, repo_id: str, private: bool = True) -> str:
    """The repository's URL once `folder` (weights, tokenizer, model card) is its newest commit."""
    from huggingface_hub import HfApi  # only where a push is asked for

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                          commit_message="rmexp export: reward model and its model card")  # fmt: skip
    except Exception as error:  # no network, offline mode, no token, no right: every one is the user's to fix
        raise UserError(
            f"push_to_hub={repo_id}: the hub refused or could not be reached ({type(error).__name__}: "
            f"{first_line(error)}). The export is kept at {folder}; upload it "
            f"later with `hf upload {repo_id} {folder}` once logged in (`hf auth login` or HF_TOKEN)"
        ) from error
    return f"https://huggingface.co/{repo_id}"
