"""ODIN's two-head reward model: the sum it trains on, the quality head it scores and exports with."""

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from rmexp.export import export_reward_model
from rmexp.losses.odin import head_orthogonality, length_head_alignment, quality_length_independence
from rmexp.losses.pairwise import bradley_terry
from rmexp.models.odin_head import DisentangledRewardModel
from rmexp.models.reward_model import RewardModel

from .conftest import PROMPTS, RESPONSES, build


def test_the_option_builds_a_two_head_model_whose_forward_is_the_quality_head():
    model, tokenizer = build("tiny", "model.reward_model.length_head=true")
    assert isinstance(model, DisentangledRewardModel)
    batch = tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    groups = torch.arange(len(PROMPTS)).unsqueeze(1)
    quality, length_rewards = model.grouped_heads(batch["input_ids"], batch["attention_mask"], groups)
    torch.testing.assert_close(model(batch["input_ids"], batch["attention_mask"]), quality)
    assert length_rewards.abs().max() > 0  # the length head starts random, not at zero


def test_the_heads_sum_equals_the_plain_reward_model_when_the_length_head_is_zero():
    plain, tokenizer = build("tiny")
    two_heads, _ = build("tiny", "model.reward_model.length_head=true")
    assert type(plain) is RewardModel
    two_heads.load_state_dict(plain.state_dict(), strict=False)  # the same trunk and quality head
    torch.nn.init.zeros_(two_heads.length_head.weight)
    batch = tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    pairs = torch.tensor([[0, 1], [1, 2]])  # rows sharing a prompt, packed as a pair is in training
    quality, length_rewards = two_heads.grouped_heads(batch["input_ids"], batch["attention_mask"], pairs)
    expected = plain.grouped(batch["input_ids"], batch["attention_mask"], pairs)
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(quality + length_rewards, expected, atol=0, rtol=0)


def test_the_export_of_a_two_head_model_is_its_quality_head(tmp_path):
    model, tokenizer = build("tiny", "model.reward_model.length_head=true")
    torch.nn.init.normal_(model.length_head.weight, std=0.5)  # a length head that would change the sum
    model.eval()
    batch = tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    groups = torch.arange(len(PROMPTS)).unsqueeze(1)
    with torch.no_grad():
        quality, length_rewards = model.grouped_heads(batch["input_ids"], batch["attention_mask"], groups)
    assert length_rewards.abs().max() > 0.1
    export_reward_model(model, tokenizer, tmp_path / "rm")

    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "rm")
    again = AutoTokenizer.from_pretrained(tmp_path / "rm")(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    with torch.no_grad():
        exported = reloaded(**again).logits.squeeze(-1)
    torch.testing.assert_close(exported, quality, atol=1e-5, rtol=0)


def test_orthogonality_drives_the_heads_cosine_to_zero_on_a_toy_problem():
    """Two linear heads on fixed features, fit to preferences that reward quality and length, from a start
    where they point the same way: with ODIN's terms they end orthogonal, the quality head free of length."""
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(512, 6, generator=generator)
    lengths = 20 + 5 * features[:, 1]
    utility = features[:, 0] + 0.8 * features[:, 1]  # annotators who like quality and length
    first, second = torch.randint(0, 512, (2, 2048), generator=generator)
    chosen = torch.where(utility[first] > utility[second], first, second)
    rejected = torch.where(utility[first] > utility[second], second, first)
    quality_weight = torch.nn.Parameter(torch.ones(6) + 0.1 * torch.randn(6, generator=generator))
    length_weight = torch.nn.Parameter(torch.ones(6) + 0.1 * torch.randn(6, generator=generator))
    assert head_orthogonality(quality_weight, length_weight) > 0.9
    optimizer = torch.optim.Adam([quality_weight, length_weight], lr=0.02)
    for _ in range(400):
        quality, length_rewards = features @ quality_weight, features @ length_weight
        rewards = quality + length_rewards
        loss = (
            bradley_terry(rewards[chosen], rewards[rejected])
            + length_head_alignment(length_rewards, lengths)
            + quality_length_independence(quality, lengths)
            + head_orthogonality(quality_weight, length_weight)
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert head_orthogonality(quality_weight, length_weight) < 0.05
    quality = (features @ quality_weight).detach()
    assert quality_length_independence(quality, lengths) < 0.05
    assert torch.corrcoef(torch.stack([quality, features[:, 0]]))[0, 1] > 0.9  # quality kept what lengths do not
