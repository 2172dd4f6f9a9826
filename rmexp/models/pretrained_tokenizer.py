"""A pretrained model's tokenizer, made to encode (prompt, response) pairs the way a reward model reads them.

The data decides how a prompt is rendered (chat rows through the tokenizer's chat template, with
the generation prompt; transcripts such as HH-RLHF's as they are); the tokenizer joins prompt and
response and closes the response with an end token. Three repairs make any tokenizer fit:

- **eos**: a pair must end on one fixed token, so a decoder's last position has read the whole
  response. The tokenizer's own pair template is kept and eos appended when it does not already end
  there: BERT keeps `[CLS] prompt [SEP] response [SEP]` (eos := [SEP], the token that closes its
  pairs); SmolLM2, whose template adds nothing, becomes `prompt response <|im_end|>`, its end of turn.
  A tokenizer with neither eos nor sep gets a new `<|endoftext|>` token.
- **pad**: a distinct pad token, never eos: an exported classifier finds the last token as the last
  one that is not pad, and pad = eos (SmolLM2, most decoders) would make it skip the eos it should
  read. Where pad is missing or equals eos, unk is used when it is a distinct token (SmolLM2's
  `<|endoftext|>`), else a new `<|pad|>` token is added (the model grows its embeddings to match).
- **no built-in truncation or padding**: some tokenizer files carry them (all-MiniLM-L6-v2 cuts at
  128 tokens); rmexp's encoder truncates the prompt from the left itself.

The result is a plain `PreTrainedTokenizerFast`, because class-specific tokenizers (BERT's, Llama's)
rebuild their template on loading; this one saves and loads with the template it was given.
`token_type_ids` are not returned: rmexp's models see zeros, and so must an exported one.
"""

import json
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from rmexp.errors import UserError

NEW_EOS, NEW_PAD = "<|endoftext|>", "<|pad|>"
SPECIAL_TOKEN_ROLES = ("bos_token", "unk_token", "sep_token", "cls_token", "mask_token")
SEQUENCE_A, SEQUENCE_B = {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}


def load_pretrained(loader: Any, name_or_path: str | None, what: str, **kwargs: Any) -> Any:
    """`loader.from_pretrained(name_or_path)`, or a UserError naming the config key and what it needs."""
    if not name_or_path:
        raise UserError("model.name_or_path: expected a local model folder (config.json, weights, tokenizer)")
    try:
        return loader.from_pretrained(str(name_or_path), **kwargs)
    except (OSError, ValueError) as error:
        where = "the folder" if Path(name_or_path).is_dir() else "no such folder, and the model hub"
        raise UserError(f"model.name_or_path={name_or_path!r}: cannot load its {what} ({where}: {error})") from error


def pretrained_tokenizer(name_or_path: str | None, model_max_length: int | None = None) -> PreTrainedTokenizerFast:
    original: PreTrainedTokenizerBase = load_pretrained(AutoTokenizer, name_or_path, "tokenizer")
    if not original.is_fast:
        raise UserError(f"model.name_or_path={name_or_path!r}: rmexp needs a fast (tokenizers) tokenizer")
    roles = {role: getattr(original, role) for role in SPECIAL_TOKEN_ROLES if getattr(original, role) is not None}
    eos = original.eos_token or original.sep_token or NEW_EOS
    pad = original.pad_token
    if pad is None or pad == eos:
        unk = original.unk_token
        pad = unk if unk is not None and unk != eos else NEW_PAD
    backend = Tokenizer.from_str(original.backend_tokenizer.to_str())
    backend.add_special_tokens([token for token in (eos, pad) if backend.token_to_id(token) is None])
    backend.post_processor = Tokenizer.from_str(closing_with(backend, eos)).post_processor
    backend.no_truncation()
    backend.no_padding()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        **roles,
        eos_token=eos,
        pad_token=pad,
        chat_template=original.chat_template,
        model_max_length=model_max_length or original.model_max_length,
        model_input_names=["input_ids", "attention_mask"],
    )


def closing_with(backend: Tokenizer, eos: str) -> str:
    """The tokenizer's JSON, its post-processor's single and pair templates ending with `eos`."""
    tokenizer_json = json.loads(backend.to_str())
    eos_id = backend.token_to_id(eos)
    # empty texts: only the template's own tokens, and no word a vocabulary without [UNK] could miss
    if backend.encode("").ids[-1:] == [eos_id] and backend.encode("", "").ids[-1:] == [eos_id]:
        return json.dumps(tokenizer_json)  # BERT's [SEP], RoBERTa's </s>: already closed
    processor = tokenizer_json.get("post_processor") or {"type": "none"}
    steps = processor["processors"] if processor["type"] == "Sequence" else [processor]
    templates = [step for step in steps if step["type"] == "TemplateProcessing"]
    if templates:
        template = templates[-1]
    else:  # none, or ByteLevel (it only trims offsets): a template that joins A and B as they are
        template = {"type": "TemplateProcessing", "single": [SEQUENCE_A], "pair": [SEQUENCE_A, SEQUENCE_B]}
        template["special_tokens"] = {}
        if processor["type"] == "Sequence":
            steps.append(template)
        else:
            tokenizer_json["post_processor"] = template
    for sequence in ("single", "pair"):
        last = template[sequence][-1]
        if last.get("SpecialToken", {}).get("id") != eos:
            type_id = (last.get("Sequence") or last.get("SpecialToken"))["type_id"]
            template[sequence].append({"SpecialToken": {"id": eos, "type_id": type_id}})
    template["special_tokens"][eos] = {"id": eos, "ids": [eos_id], "tokens": [eos]}
    return json.dumps(tokenizer_json)
