"""A push to the hub: repository ids checked before training, and a hub out of reach reported with the
export kept and the command that uploads it later (this machine reaches no hub)."""

import pytest

from rmexp.errors import UserError
from rmexp.hub import check_repo_id, push_export

from .conftest import QUICK, SMALL_LAB


@pytest.mark.parametrize("repo_id", ["my-lab/rm-bt", "a/b", "Org_1/model.v2"])
def test_a_hub_repository_id_passes(repo_id):
    check_repo_id(repo_id)


@pytest.mark.parametrize("repo_id", ["rm-bt", "a/b/c", "/rm", "my lab/rm", "a/..", 7])
def test_a_malformed_repository_id_is_refused_naming_the_key(repo_id):
    with pytest.raises(UserError, match=r"push_to_hub=.*: expected a hub model repository as <owner>/<name>"):
        check_repo_id(repo_id)


def test_a_push_the_hub_refuses_keeps_the_export_and_says_how_to_push_later(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UserError) as raised:
        push_export(tmp_path, "rmexp-nobody/no-such-repo")
    message = str(raised.value)
    assert message.startswith("push_to_hub=rmexp-nobody/no-such-repo: the hub refused or could not be reached (")
    assert f"The export is kept at {tmp_path}" in message
    assert f"hf upload rmexp-nobody/no-such-repo {tmp_path}" in message
    assert (tmp_path / "config.json").read_text() == "{}"


@pytest.mark.e2e
def test_a_run_whose_push_fails_completes_with_its_export_and_lists_the_push(compose_train, tmp_path):
    from rmexp.train import train

    cfg = compose_train(*SMALL_LAB, *QUICK, "export=true", "push_to_hub=rmexp-nobody/no-such-repo")
    summary = train(cfg, tmp_path)
    assert summary["status"] == "completed"
    assert (tmp_path / "export" / "model.safetensors").is_file() and (tmp_path / "export" / "README.md").is_file()
    assert "hf upload rmexp-nobody/no-such-repo" in summary["after_training_errors"]["push_to_hub"]
    assert "push_to_hub" not in summary["artifacts"]
