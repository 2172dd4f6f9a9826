"""Score a JSON Lines file with a trained reward model: each row comes back with a `reward` field.

An ensemble's rows also get `member_rewards`, one per member; `reward` is their aggregate (mean, min or uwo).

rmexp-score reward_model=outputs/train/<run> input=responses.jsonl              # a run folder, its best checkpoint
rmexp-score reward_model=exported/ input=chats.jsonl output=scored.jsonl batch_size=64

A row is {"prompt": ..., "response": ...} or {"messages": [{"role": ..., "content": ...}, ...]} whose
last message is the assistant's response; earlier turns become the prompt exactly as the training data
readers render chat data. Every row is checked before any is scored, so a bad file fails at once,
naming each bad line, and never leaves a half-scored output behind; then the file is scored in chunks,
so its size is not bounded by memory.
"""

import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import hydra
import torch
from omegaconf import DictConfig
from rich.console import Console
from rich.progress import Progress, track
from torch import nn
from transformers import PreTrainedTokenizerBase

from rmexp import CONFIG_DIR
from rmexp.atomic_write import atomic_output
from rmexp.config_checks import check_score_config
from rmexp.data.encoding import encode_responses
from rmexp.data.formats.chat import messages, render_prompt
from rmexp.data.padding import pad_sequences
from rmexp.data.readers import numbered_lines
from rmexp.data.validation import MISMATCH, RowError, field, nonempty_text
from rmexp.devices import resolve_device
from rmexp.errors import UserError, composed_or_exit_2, exit_on_user_error
from rmexp.export import load_reward_model
from rmexp.models.ensemble import MemberAggregation

EXPECTED_ROW = 'a JSON object with string fields "prompt" and "response", or a "messages" list ending in the assistant'
MAX_REPORTED = 10
# Rows read, scored and written at a time: memory stays bounded whatever the file's size.
CHUNK_ROWS = 2048


def row_texts(row: Any, tokenizer: PreTrainedTokenizerBase | None = None) -> tuple[str, str]:
    """(prompt, response) of one row, rendered as the training data readers render it; RowError if bad.

    Earlier chat turns become the prompt through the tokenizer's chat template, or HH-RLHF's plain
    "\n\nHuman: ... \n\nAssistant:" where it has none (rmexp/data/formats/chat.py), as in training.
    """
    if not isinstance(row, dict):
        raise RowError("(row)", EXPECTED_ROW, row, MISMATCH)
    if "messages" in row:
        turns = messages(row["messages"], "messages")
        if turns[-1]["role"] != "assistant":
            raise RowError("messages", "a conversation whose last turn, the response to score, is the assistant's",
                           turns[-1]["role"], MISMATCH)  # fmt: skip
        return render_prompt(turns[:-1], tokenizer) if len(turns) > 1 else "", turns[-1]["content"]
    return nonempty_text(field(row, "prompt"), "prompt"), nonempty_text(field(row, "response"), "response")


def parsed_rows(path: Path, tokenizer: PreTrainedTokenizerBase | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, row, (prompt, response)) per non-blank line; the texts are instead an error message if bad."""
    for number, line in numbered_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            yield number, row, row_texts(row, tokenizer)
        except json.JSONDecodeError as error:
            yield number, None, f"not valid JSON ({error.msg} at column {error.colno})"
        except RowError as error:
            yield number, row, str(error)


def require_file(path: Path) -> None:
    if not path.is_file():
        raise UserError(f"{path}: no such file; expected a JSON Lines file with one {EXPECTED_ROW} per line")


def check_rows(path: Path, tokenizer: PreTrainedTokenizerBase | None = None) -> int:
    """Read the whole file once, keeping nothing: the number of rows, or one UserError naming each bad line.

    Checking first means a bad file fails at once and never leaves a half-scored output behind.
    """
    require_file(path)
    count, problems = 0, []
    for number, _, texts in parsed_rows(path, tokenizer):
        if isinstance(texts, str):
            problems.append(f"{path}:{number}: {texts}")
        count += 1
    if problems:
        more = f"\n... and {len(problems) - MAX_REPORTED} more bad lines" if len(problems) > MAX_REPORTED else ""
        raise UserError("\n".join(problems[:MAX_REPORTED]) + more)
    if not count:
        raise UserError(f"{path}: no rows; expected one {EXPECTED_ROW} per line")
    return count


def reward_texts(
    model: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: list[tuple[str, str]],
    batch_size: int = 32,
    max_length: int = 512,
    show_progress: bool = True,
) -> list[float]:
    """The rewards alone, of `score_texts`."""
    return [scores["reward"] for scores in score_texts(model, tokenizer, texts, batch_size, max_length, show_progress)]


@torch.no_grad()
def score_texts(
    model: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: list[tuple[str, str]],
    batch_size: int = 32,
    max_length: int = 512,
    show_progress: bool = True,
) -> list[dict[str, float | list[float]]]:
    """`{"reward": r}` per (prompt, response) pair; an ensemble adds `member_rewards`, whose aggregate r is.

    Encoded as in training (the prompt is cut first, from the left). Batches are formed in order of
    length, so each is padded little, and the rewards come back in input order.
    """
    device = next(model.parameters()).device
    encoded = encode_responses(tokenizer, [p for p, _ in texts], [r for _, r in texts], max_length)
    order = sorted(range(len(encoded)), key=lambda index: len(encoded[index].input_ids))
    scores: list[dict[str, float | list[float]]] = [{}] * len(encoded)
    starts = range(0, len(order), batch_size)
    for start in track(starts, description="scoring", disable=not show_progress, console=Console(stderr=True)):
        indices = order[start : start + batch_size]
        input_ids, attention_mask = pad_sequences([encoded[i].input_ids for i in indices], tokenizer.pad_token_id)
        input_ids, attention_mask = input_ids.to(device), attention_mask.to(device)
        if isinstance(model, MemberAggregation):
            members = model.member_rewards(input_ids, attention_mask).float()
            aggregate = model.aggregate(members).cpu().tolist()
            batch_scores = [{"reward": reward, "member_rewards": row}
                            for reward, row in zip(aggregate, members.cpu().tolist(), strict=True)]  # fmt: skip
        else:
            batch_scores = [{"reward": reward} for reward in model(input_ids, attention_mask).float().cpu().tolist()]
        for index, row_scores in zip(indices, batch_scores, strict=True):
            scores[index] = row_scores
    return scores


def score_file(model: nn.Module, tokenizer: PreTrainedTokenizerBase, input_path: Path, output_path: Path,
               batch_size: int = 32, max_length: int = 512, show_progress: bool = True) -> int:  # fmt: skip
    """Write `input_path`'s rows to `output_path` with a `reward` field each; the number of rows.

    The file is read twice, checked and then scored `CHUNK_ROWS` at a time, so a file of any size
    scores in bounded memory; the output appears (by rename) only once every row is scored, and a write
    that fails (a full disk) leaves no temporary file behind.
    """
    total = check_rows(input_path, tokenizer)
    with (
        atomic_output(output_path) as temporary,
        temporary.open("w", encoding="utf-8") as out,
        Progress(console=Console(stderr=True), disable=not show_progress) as progress,
    ):
        task = progress.add_task("scoring", total=total)
        rows = parsed_rows(input_path, tokenizer)
        while chunk := list(islice(rows, CHUNK_ROWS)):
            scores = score_texts(model, tokenizer, [texts for _, _, texts in chunk], batch_size, max_length, False)
            for (_, row, _), row_scores in zip(chunk, scores, strict=True):
                out.write(json.dumps({**row, **row_scores}, ensure_ascii=False) + "\n")
            progress.advance(task, len(chunk))
    return total


def score(cfg: DictConfig, input_path: Path, output_path: Path) -> int:
    require_file(input_path)  # before the model loads: the cheap mistake first
    check_score_config(cfg, output_path)
    device = resolve_device(cfg.device)
    model, tokenizer = load_reward_model(cfg.reward_model)
    model.to(device)
    if isinstance(model, MemberAggregation):
        Console(stderr=True).print(
            f"an ensemble: `reward` is {model.describe_aggregate()}; `member_rewards` lists the members'"
        )
    return score_file(model, tokenizer, input_path, output_path, cfg.batch_size, cfg.max_length)


def paths_of(cfg: DictConfig) -> tuple[Path, Path]:
    """(input, output); a missing `input=` is the user's mistake (MissingMandatoryValue), named as such."""
    input_path = Path(cfg.input)
    return input_path, Path(cfg.output) if cfg.output else input_path.with_name(input_path.stem + ".scored.jsonl")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="score")
def main(cfg: DictConfig) -> None:
    input_path, output_path = exit_on_user_error(paths_of, cfg)
    count = exit_on_user_error(score, cfg, input_path, output_path)
    Console().print(f"scored {count} rows: {output_path}")


cli = composed_or_exit_2(main)  # the installed command (pyproject.toml)

if __name__ == "__main__":
    cli()
