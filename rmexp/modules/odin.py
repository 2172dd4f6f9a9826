"""ODIN in the loss families: which terms a two-head reward model trains with, and who may ask for them.

Any family whose rewards come from `grouped_rewards` (pairwise, listwise) trains a
DisentangledRewardModel on r_quality + r_length and scores with r_quality (rmexp/modules/base.py);
this module holds the checks and the weighted terms, so the base only calls them.
"""

from torch import Tensor, nn

from rmexp.errors import UserError
from rmexp.losses.odin import head_orthogonality, length_head_alignment, quality_length_independence
from rmexp.models.odin_head import DisentangledRewardModel
from rmexp.models.reward_model import RewardModel

ODIN_COEFFICIENTS = ("odin_length_coef", "odin_quality_coef", "odin_orthogonality_coef")


def check_odin(model: nn.Module, view: str, coefficients: dict[str, float]) -> None:
    """A length head needs a family that scores through `grouped_rewards`; ODIN's terms need a length head."""
    asked = [key for key in ODIN_COEFFICIENTS if coefficients[key]]
    if isinstance(model, DisentangledRewardModel) and view == "pointwise":
        raise UserError(
            "model.reward_model.length_head=true: the pointwise family regresses one reward on a score, with a "
            "bias the length head would share; ODIN's two heads train with the pairwise and listwise losses"
        )
    # an exported folder being evaluated is a plain classifier: the terms are training-only and ignored there
    if asked and isinstance(model, RewardModel) and not isinstance(model, DisentangledRewardModel):
        raise UserError(
            f"loss.{asked[0]}={coefficients[asked[0]]}: ODIN's terms act on a length head; "
            "set model.reward_model.length_head=true"
        )


def odin_terms(
    model: DisentangledRewardModel, quality: Tensor, length_rewards: Tensor, lengths: Tensor,
    coefficients: dict[str, float],
) -> dict[str, tuple[float, Tensor]]:  # fmt: skip
    """name -> (coefficient, raw value) of each active term, as RewardModule.regularization collects them."""
    terms = {}
    if coefficients["odin_length_coef"]:
        terms["odin_length"] = (coefficients["odin_length_coef"], length_head_alignment(length_rewards, lengths))
    if coefficients["odin_quality_coef"]:
        terms["odin_quality"] = (coefficients["odin_quality_coef"], quality_length_independence(quality, lengths))
    if coefficients["odin_orthogonality_coef"]:
        terms["odin_orthogonality"] = (
            coefficients["odin_orthogonality_coef"],
            head_orthogonality(model.head.weight, model.length_head.weight),
        )
    return terms
