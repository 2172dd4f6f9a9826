"""A word-level tokenizer over the bundled English word list: real, offline, and instant to build.

The tiny test model needs a tokenizer that works without a hub. One token per word also makes
"length in tokens" equal "length in words" on the lab, which keeps length diagnostics readable.
Words outside the list map to [UNK], so real text still tokenizes (coarsely).
"""

from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordLevel
from tokenizers.processors import TemplateProcessing
from transformers import PreTrainedTokenizerFast

from rmexp.data.lab import INSTRUCTIONS, TOPICS, load_words

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[BOS]", "[SEP]", "[EOS]")
PUNCTUATION = tuple(".,;:!?'\"()-")


def word_level_tokenizer(model_max_length: int = 512) -> PreTrainedTokenizerFast:
    """Encodes a (prompt, response) pair as `[BOS] prompt [SEP] response [EOS]`.

    The reward is read at [EOS], so a decoder's last token has seen the whole response.
    """
    vocabulary = dict.fromkeys((*SPECIAL_TOKENS, *PUNCTUATION, *TOPICS, *INSTRUCTIONS, *load_words()))
    backend = Tokenizer(WordLevel({token: i for i, token in enumerate(vocabulary)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = TemplateProcessing(
        single="[BOS] $A [EOS]",
        pair="[BOS] $A [SEP] $B [EOS]",
        special_tokens=[(token, vocabulary_index) for vocabulary_index, token in enumerate(SPECIAL_TOKENS)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="[PAD]",
        unk_token="[UNK]",
        bos_token="[BOS]",
        sep_token="[SEP]",
        eos_token="[EOS]",
        model_max_length=model_max_length,
        truncation_side="left",
    )
