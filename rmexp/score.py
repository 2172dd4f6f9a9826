"""Score a JSON Lines file with a trained reward model: each row comes back with a `reward` field.

rmexp-score reward_model=outputs/train/<run> input=responses.jsonl              # a run folder, its best checkpoint
rmexp-score reward_model=exported/ input=chats.jsonl output=scored.jsonl batch_size=64

A row is {"prompt": ..., "response": ...} or {"messages": [{"role": ..., "content": ...}, ...]} whose
last message is the assistant's response; earlier turns become the prompt, one "role: content" line
each. Every row is checked before any is scored, so a bad file fails at once, naming each bad line,
and never leaves a half-scored output behind.
"""

import json
from pathlib import Path
from typing import Any

import hydra
import torch
from omegaconf import DictConfig
from rich.console import Console
from rich.progress import track
from torch import nn
from transformers import PreTrainedTokenizerBase

from rmexp import CONFIG_DIR
from rmexp.data.encoding import encode_responses
from rmexp.data.padding import pad_sequences
from rmexp.errors import UserError, exit_on_user_error
from rmexp.export import load_reward_model

EXPECTED_ROW = 'a JSON object with string fields "prompt" and "response", or a "messages" list ending in the assistant'
MAX_REPORTED = 10


def row_texts(row: Any) -> tuple[str, str]:
    """(prompt, response) of one row; ValueError naming the field and what it should hold."""
    if not isinstance(row, dict):
        raise ValueError(f"expected {EXPECTED_ROW}, got {type(row).__name__}")
    if "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or not messages:
            raise ValueError('field "messages": expected a non-empty list of {"role", "content"} objects')
        for index, message in enumerate(messages):
            if not (isinstance(message, dict) and isinstance(message.get("role"), str)
                    and isinstance(message.get("content"), str)):  # fmt: skip
                raise ValueError(f'field "messages[{index}]": expected {{"role": str, "content": str}}')
        if messages[-1]["role"] != "assistant":
            raise ValueError(f'field "messages": the last message is the response to score, so its role must be '
                             f'"assistant", not {messages[-1]["role"]!r}')  # fmt: skip
        prompt = "\n".join(f"{message['role']}: {message['content']}" for message in messages[:-1])
        return prompt, messages[-1]["content"]
    for field in ("prompt", "response"):
        if not isinstance(row.get(field), str):
            got = "missing" if field not in row else f"{type(row[field]).__name__}"
            raise ValueError(f'field "{field}": expected a string ({got}); a row holds {EXPECTED_ROW}')
    return row["prompt"], row["response"]


def read_rows(path: Path) -> tuple[list[dict], list[tuple[str, str]]]:
    """Every row of the file and its texts; one UserError listing each bad line (the first ten)."""
    if not path.is_file():
        raise UserError(f"{path}: no such file; expected a JSON Lines file with one {EXPECTED_ROW} per line")
    rows, texts, problems = [], [], []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                texts.append(row_texts(row))
                rows.append(row)
            except json.JSONDecodeError as error:
                problems.append(f"{path}:{number}: not valid JSON ({error.msg} at column {error.colno})")
            except ValueError as error:
                problems.append(f"{path}:{number}: {error}")
    if problems:
        more = f"\n... and {len(problems) - MAX_REPORTED} more bad lines" if len(problems) > MAX_REPORTED else ""
        raise UserError("\n".join(problems[:MAX_REPORTED]) + more)
    if not rows:
        raise UserError(f"{path}: no rows; expected one {EXPECTED_ROW} per line")
    return rows, texts


@torch.no_grad()
def reward_texts(
    model: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: list[tuple[str, str]],
    batch_size: int = 32,
    max_length: int = 512,
    show_progress: bool = True,
) -> list[float]:
    """Rewards of (prompt, response) pairs, encoded as in training (the prompt is cut first, from the left).

    Batches are formed in order of length, so each is padded little, and the rewards come back in input order.
    """
    device = next(model.parameters()).device
    encoded = encode_responses(tokenizer, [p for p, _ in texts], [r for _, r in texts], max_length)
    order = sorted(range(len(encoded)), key=lambda index: len(encoded[index].input_ids))
    rewards = [0.0] * len(encoded)
    starts = range(0, len(order), batch_size)
    for start in track(starts, description="scoring", disable=not show_progress, console=Console(stderr=True)):
        indices = order[start : start + batch_size]
        input_ids, attention_mask = pad_sequences([encoded[i].input_ids for i in indices], tokenizer.pad_token_id)
        batch_rewards = model(input_ids.to(device), attention_mask.to(device)).float().cpu().tolist()
        for index, reward in zip(indices, batch_rewards, strict=True):
            rewards[index] = reward
    return rewards


def score_file(model: nn.Module, tokenizer: PreTrainedTokenizerBase, input_path: Path, output_path: Path,
               batch_size: int = 32, max_length: int = 512, show_progress: bool = True) -> int:  # fmt: skip
    """Write `input_path`'s rows to `output_path` with a `reward` field each; the number of rows."""
    rows, texts = read_rows(input_path)
    rewards = reward_texts(model, tokenizer, texts, batch_size, max_length, show_progress)
    temporary = output_path.with_suffix(output_path.suffix + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        for row, reward in zip(rows, rewards, strict=True):
            out.write(json.dumps({**row, "reward": reward}, ensure_ascii=False) + "\n")
    temporary.replace(output_path)
    return len(rows)


def score(cfg: DictConfig, input_path: Path, output_path: Path) -> int:
    model, tokenizer = load_reward_model(cfg.reward_model)
    model.to(cfg.device)
    return score_file(model, tokenizer, input_path, output_path, cfg.batch_size, cfg.max_length)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="score")
def main(cfg: DictConfig) -> None:
    input_path = Path(cfg.input)
    output_path = Path(cfg.output) if cfg.output else input_path.with_name(input_path.stem + ".scored.jsonl")
    count = exit_on_user_error(score, cfg, input_path, output_path)
    Console().print(f"scored {count} rows: {output_path}")


if __name__ == "__main__":
    main()
