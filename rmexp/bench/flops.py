"""Model FLOPs utilisation: the arithmetic a training step must do, against what the machine can do.

Training a transformer on T tokens costs about 6 N T floating-point operations, N its parameters
outside the embedding tables (2 N T forward, 4 N T backward; Kaplan et al. 2020): a lookup in an
embedding table is no multiplication. Only real tokens count, so padding is work that earns
nothing and lowers the utilisation, as attention's own (small at these lengths) cost is left out.
"""

from torch import nn


def non_embedding_parameters(model: nn.Module) -> int:
    tables = [module for module in model.modules() if isinstance(module, nn.Embedding)]
    embedding = {id(weight) for table in tables for weight in table.parameters()}
    return sum(weight.numel() for weight in model.parameters() if id(weight) not in embedding)


def training_flops(parameters: int, tokens: int) -> float:
    return 6.0 * parameters * tokens


def model_flops_utilisation(parameters: int, tokens: int, seconds: float, peak_flops_per_second: float) -> float:
    """The share of the machine's measured matmul peak that the model's own arithmetic used."""
    return training_flops(parameters, tokens) / seconds / peak_flops_per_second
