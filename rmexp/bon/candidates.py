"""Fresh responses to the lab's prompts, drawn by the process that made the lab's own responses.

Best-of-n samples from a policy; on the lab the policy is the lab's response generator (a latent
skill tilting word choice, a length drawn uniformly), so the candidates are what the reward model
was trained to judge, and each comes with its gold reward. Changing the length range shifts the
candidates away from the training lengths: a reward model that learned the annotators' taste for
length then picks longer and longer responses as n grows, and gold does not follow.
"""

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import Field, validate_call

from rmexp.data.lab import LabData, draw_words, gold_reward
from rmexp.errors import UserError


@dataclass(frozen=True)
class Candidates:
    """N responses for each of P prompts, with their gold reward and length in words ([P, N] each)."""

    prompts: list[str]
    responses: list[list[str]]
    gold: np.ndarray
    length: np.ndarray

    def prompt_response_pairs(self) -> list[tuple[str, str]]:
        """Every (prompt, response), prompt by prompt: reshaped to [P, N], scores line up with `gold`."""
        return [
            (prompt, response) for prompt, row in zip(self.prompts, self.responses, strict=True) for response in row
        ]


class LabResponseGenerator:
    """The lab's response process; a knob left at None keeps the lab's own value.

    Each prompt has its own random stream, seeded by (seed, prompt index): a prompt's candidates do
    not depend on which other prompts are drawn, and they are not the lab's responses to it.
    """

    @validate_call
    def __init__(
        self,
        length_min: Annotated[int, Field(gt=0)] | None = None,
        length_max: Annotated[int, Field(gt=0)] | None = None,
        quality_spread: Annotated[float, Field(ge=0)] | None = None,
        seed: int = 0,
    ):
        self.length_min, self.length_max, self.quality_spread, self.seed = length_min, length_max, quality_spread, seed

    def __call__(self, lab: LabData, prompt_indices: np.ndarray, num_candidates: int) -> Candidates:
        spec = lab.spec
        length_min = spec.length_min if self.length_min is None else self.length_min
        length_max = spec.length_max if self.length_max is None else self.length_max
        quality_spread = spec.quality_spread if self.quality_spread is None else self.quality_spread
        if length_min > length_max:
            raise UserError(
                f"generator.length_min ({length_min}) must be <= generator.length_max ({length_max}); "
                f"a null one takes the lab's (data.lab.length_min={spec.length_min}, length_max={spec.length_max})"
            )
        shape = (len(prompt_indices), num_candidates)
        responses, gold, length = [], np.empty(shape), np.empty(shape, dtype=np.int64)
        for row, prompt in enumerate(prompt_indices):
            rng = np.random.default_rng([self.seed, int(prompt)])
            topic = lab.prompt_topic[prompt]
            length[row] = rng.integers(length_min, length_max + 1, size=num_candidates)
            skills = rng.normal(0.0, quality_spread, size=num_candidates)
            texts = []
            for column, skill in enumerate(skills):
                word_ids = draw_words(rng, lab.word_weights, topic, length[row, column], skill)
                texts.append(" ".join(lab.words[j] for j in word_ids))
                gold[row, column] = gold_reward(lab.word_weights, topic, word_ids)
            responses.append(texts)
        return Candidates([lab.prompts[p] for p in prompt_indices], responses, gold, length)
