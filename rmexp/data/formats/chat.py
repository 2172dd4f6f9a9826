"""Chat messages (`[{"role": ..., "content": ...}]`) to a prompt string and the two final answers.

The prompt is rendered with the tokenizer's chat template (with the generation prompt, so that it
ends where the answer starts) where the tokenizer has one. Otherwise it uses the plain template of
Anthropic's HH-RLHF transcripts, so chat data and HH data read alike to the model:

    "\n\nSystem: {content}" / "\n\nHuman: {content}" / "\n\nAssistant: {content}" per turn,
    then "\n\nAssistant:" where the answer starts.
"""

from typing import Any

from transformers import PreTrainedTokenizerBase

from rmexp.data.validation import MISMATCH, MISSING, WRONG_TYPE, RowError, nonempty_text

PLAIN_ROLES = {"system": "System", "user": "Human", "assistant": "Assistant"}
ANSWER_CUE = "\n\nAssistant:"


def render_prompt(turns: list[dict[str, str]], tokenizer: PreTrainedTokenizerBase | None = None) -> str:
    if tokenizer is not None and getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    return "".join(f"\n\n{PLAIN_ROLES[turn['role']]}: {turn['content']}" for turn in turns) + ANSWER_CUE


def messages(value: Any, name: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value or not all(isinstance(turn, dict) for turn in value):
        raise RowError(name, 'a non-empty list of {"role", "content"} messages', value, WRONG_TYPE)
    for index, turn in enumerate(value):
        if turn.get("role") not in PLAIN_ROLES:
            raise RowError(f"{name}[{index}].role", f"one of {sorted(PLAIN_ROLES)}", turn.get("role"), WRONG_TYPE)
        nonempty_text(turn.get("content"), f"{name}[{index}].content")
    return [{"role": turn["role"], "content": turn["content"]} for turn in value]


def conversation_pair(
    prompt: Any,
    chosen: Any,
    rejected: Any,
    names: tuple[str, str, str],
    tokenizer: PreTrainedTokenizerBase | None = None,
) -> tuple[str, str, str]:
    """(prompt, chosen answer, rejected answer) from two conversations that differ in their last turn.

    The conversations may hold the whole exchange (the prompt field is then not needed), or only the
    answer, as in TRL's conversational format, with the prompt apart as messages or as one user turn.
    """
    prompt_name, chosen_name, rejected_name = names
    chosen_turns, rejected_turns = messages(chosen, chosen_name), messages(rejected, rejected_name)
    if len(chosen_turns) == 1 and prompt is not None:
        if isinstance(prompt, str):
            opening = [{"role": "user", "content": nonempty_text(prompt, prompt_name)}]
        else:
            opening = messages(prompt, prompt_name)
        chosen_turns, rejected_turns = opening + chosen_turns, opening + rejected_turns
    for turns, name in ((chosen_turns, chosen_name), (rejected_turns, rejected_name)):
        if turns[-1]["role"] != "assistant":
            raise RowError(name, "a conversation that ends with an assistant turn", turns[-1]["role"], MISMATCH)
    if chosen_turns[:-1] != rejected_turns[:-1]:
        raise RowError(rejected_name, f"the same turns as '{chosen_name}' before the last one", rejected, MISMATCH)
    if len(chosen_turns) == 1:
        raise RowError(prompt_name, "the prompt: a prompt field, or turns before the answer", None, MISSING)
    return render_prompt(chosen_turns[:-1], tokenizer), chosen_turns[-1]["content"], rejected_turns[-1]["content"]
