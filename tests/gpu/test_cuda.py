"""rmexp on CUDA: the lab trains in float32 and bf16, the shared prompt is exact, LoRA trains, a trained run
evaluates, scores, exports and runs best-of-n on the GPU, and a resumed run reaches the same metrics."""

import json

import pytest
import pytorch_lightning as pl
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from transformers import LlamaConfig, LlamaModel

from rmexp import CONFIG_DIR
from rmexp.bon.command import best_of_n
from rmexp.evaluate import evaluate
from rmexp.export import load_reward_model
from rmexp.models.reward_model import RewardModel
from rmexp.score import score_file
from rmexp.train import train

from ..conftest import LEARNABLE_LAB

pytestmark = pytest.mark.gpu

LAB = LEARNABLE_LAB
QUIET = ["logger=none", "trainer.enable_progress_bar=false", "callbacks.progress_bar=null",
         "callbacks.model_summary=null", "bootstrap_samples=0"]  # fmt: skip
# SmolLM2-135M's architecture (its published config.json), with random weights: nothing to download
SMOLLM2_135M = dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                    num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
                    rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True)  # fmt: skip


def compose_config(name: str, output_dir, *overrides: str):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(name, overrides=[f"paths.output_dir={output_dir}", *overrides])
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))  # as the command writes it
    return cfg


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_the_lab_trains_on_the_gpu(tmp_path, trainer_overrides, precision):
    cfg = compose_config("train", tmp_path, *trainer_overrides, f"trainer.precision={precision}", *LAB, *QUIET,
                         "trainer.max_epochs=3")  # fmt: skip
    summary = train(cfg, tmp_path)
    assert summary["status"] == "completed"
    assert summary["metrics"]["test/gold_accuracy"] > 0.75, summary["metrics"]


def smollm2_shaped_batch(device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three prompts of 40, 7 and 1 tokens, two responses each of different lengths, right-padded."""
    generator = torch.Generator().manual_seed(0)
    rows = []
    for prompt_length, lengths in [(40, (12, 30)), (7, (3, 1)), (1, (20, 5))]:
        prompt = torch.randint(1, 49152, (prompt_length,), generator=generator).tolist()
        rows.append([prompt + torch.randint(1, 49152, (n,), generator=generator).tolist() for n in lengths])
    sequences = [pair[0] for pair in rows] + [pair[1] for pair in rows]  # chosen rows, then rejected rows
    width = max(map(len, sequences))
    input_ids = torch.tensor([ids + [0] * (width - len(ids)) for ids in sequences], device=device)
    attention_mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in sequences], device=device)
    groups = torch.tensor([[0, 3], [1, 4], [2, 5]], device=device)
    return input_ids, attention_mask, groups


@pytest.mark.parametrize("implementation", ["sdpa", "eager"])
def test_a_smollm2_shaped_decoder_shares_its_prompt_exactly_on_the_gpu(device, implementation):
    torch.manual_seed(0)
    config = LlamaConfig(**SMOLLM2_135M, attn_implementation=implementation)
    model = RewardModel(LlamaModel(config), pooling="last", head_init_std=0.5).to(device)
    assert model.share_prefix
    input_ids, attention_mask, groups = smollm2_shaped_batch(device)
    separate = model(input_ids, attention_mask)
    separate.sum().backward()
    expected = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    shared = model.grouped(input_ids, attention_mask, groups)
    shared.sum().backward()
    torch.testing.assert_close(shared, separate, atol=1e-4, rtol=1e-4)
    for name, parameter in model.named_parameters():
        if name in expected:
            torch.testing.assert_close(parameter.grad, expected[name], atol=1e-4, rtol=1e-3, msg=name)


def test_lora_trains_its_adapters_alone_on_the_gpu(device):
    pytest.importorskip("peft")
    from rmexp.models.fine_tuning import LoraSettings
    from rmexp.models.tiny import tiny_reward_model
    from rmexp.models.word_tokenizer import word_level_tokenizer

    tokenizer = word_level_tokenizer()
    torch.manual_seed(0)
    model = tiny_reward_model(tokenizer, head_init_std=0.5, lora=LoraSettings(rank=4, dropout=0.0)).to(device)
    texts = ["the song was loud", "no", "music is sound", "I"]
    batch = tokenizer(["explain music"] * 4, texts, padding=True, return_tensors="pt")
    inputs = {key: batch[key].to(device) for key in ("input_ids", "attention_mask")}
    targets = torch.tensor([1.0, -1.0, 1.0, -1.0], device=device)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(20):
        loss = ((model(**inputs) - targets) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
    changed = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    assert changed and all("lora_" in name or name.startswith("head.") for name in changed), changed
    assert any("lora_B" in name for name in changed)


@pytest.fixture(scope="module")
def gpu_run(tmp_path_factory, trainer_overrides):
    run_dir = tmp_path_factory.mktemp("gpu_run")
    cfg = compose_config("train", run_dir, *trainer_overrides, *LAB, *QUIET, "trainer.max_epochs=2")
    return train(cfg, run_dir), run_dir


def test_eval_on_the_gpu_reports_what_training_reported(gpu_run, tmp_path, device):
    summary, run_dir = gpu_run
    assert summary["after_training_errors"] == {}
    cfg = compose_config("eval", tmp_path, f"reward_model={run_dir}", f"device={device.type}", *LAB)
    report = evaluate(cfg, tmp_path)
    for name in ("accuracy", "gold_accuracy", "ece", "length_corr"):
        assert report["metrics"][f"test/{name}"] == pytest.approx(summary["metrics"][f"test/{name}"], abs=1e-4), name


def test_scoring_on_the_gpu_gives_the_export_s_rewards_on_the_cpu(gpu_run, tmp_path, device):
    _, run_dir = gpu_run
    rows = [{"prompt": "explain music", "response": text} for text in ("the song was loud", "no", "music is sound")]
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    on_device, tokenizer = load_reward_model(run_dir)
    score_file(on_device.to(device), tokenizer, source, tmp_path / "gpu.jsonl", show_progress=False)
    on_cpu, _ = load_reward_model(run_dir / "export")
    score_file(on_cpu, tokenizer, source, tmp_path / "cpu.jsonl", show_progress=False)
    read = lambda path: [json.loads(line)["reward"] for line in path.read_text().splitlines()]  # noqa: E731
    assert read(tmp_path / "gpu.jsonl") == pytest.approx(read(tmp_path / "cpu.jsonl"), abs=1e-4)


def test_best_of_n_on_the_gpu(gpu_run, tmp_path, device):
    _, run_dir = gpu_run
    cfg = compose_config("bon", tmp_path, f"reward_model={run_dir}", f"bon.device={device.type}",
                         "bon.num_candidates=16", *LAB, *QUIET)  # fmt: skip
    summary = best_of_n(cfg, tmp_path)
    assert summary["status"] == "completed"
    assert [row["n"] for row in summary["best_of_n"]["table"]] == [1, 2, 4, 8, 16]


class StopAfterTheFirstEpoch(pl.Callback):
    """Ends fit after epoch 0, its checkpoints written, as an interruption would leave a run."""

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        trainer.should_stop = True


class RecordEpochs(pl.Callback):
    """The epochs a fit trains, so a test tells a resumed run from one trained again from the start."""

    trained: list[int] = []

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        RecordEpochs.trained.append(trainer.current_epoch)


def test_a_resumed_run_on_the_gpu_reaches_the_uninterrupted_run_s_metrics(tmp_path, trainer_overrides):
    quick = [*trainer_overrides, *LAB, *QUIET, "export=false", "trainer.max_epochs=2"]
    whole = train(compose_config("train", tmp_path / "whole", *quick), tmp_path / "whole")
    stop = f"+callbacks.stop._target_={__name__}.StopAfterTheFirstEpoch"
    first = tmp_path / "interrupted"
    train(compose_config("train", first, *quick, stop), first)
    record = f"+callbacks.record._target_={__name__}.RecordEpochs"
    RecordEpochs.trained = []
    resumed = train(
        compose_config("train", first, *quick, record), first, checkpoint=first / "checkpoints" / "last.ckpt"
    )
    assert RecordEpochs.trained == [1]  # on from the checkpoint: the second epoch only
    for name, value in whole["metrics"].items():
        if name.startswith(("val/", "test/")):
            assert resumed["metrics"][name] == pytest.approx(value, abs=1e-6, nan_ok=True), name
