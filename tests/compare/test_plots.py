"""The per-variant plot is readable: values under each column, keys once on the axis, no tick over another."""

from rmexp.compare.plots import tick_labels, variants_figure
from rmexp.compare.runs import Run
from rmexp.compare.variants import Variant
from rmexp.plots import plt

FEEDBACK_TYPE = [
    Variant((("experiment/subjectivity", level), ("experiment/feedback_arm", arm)))
    for level in ("low", "moderate", "strong")
    for arm in ("bt", "pointwise", "pointwise_per_annotator", "listwise")
]


def test_a_tick_holds_the_values_and_the_axis_names_the_keys():
    labels, axis_label = tick_labels(FEEDBACK_TYPE[:2])
    assert labels == ["low\nbt", "low\npointwise"]
    assert axis_label == "experiment/subjectivity, experiment/feedback_arm (a line each)"
    assert tick_labels([Variant((("loss", "bt"),)), Variant((("loss", "hinge"),))]) == (["bt", "hinge"], "loss")
    # variants that do not all set the same keys keep their full labels
    mixed = [Variant((("loss", "bt"),)), Variant((("loss", "bt"), ("seed_data", "1")))]
    assert tick_labels(mixed) == (["loss=bt", "loss=bt\nseed_data=1"], "")


def test_no_tick_label_runs_into_its_neighbour():
    groups = {
        variant: [Run(folder=None, overrides={}, status="completed", seed=seed, metrics={"m": 0.8 + 0.01 * seed})
                  for seed in range(3)]
        for variant in FEEDBACK_TYPE
    }  # fmt: skip
    figure = variants_figure(groups, "m")
    figure.canvas.draw()
    boxes = [label.get_window_extent() for label in figure.axes[0].get_xticklabels()]
    plt.close(figure)
    assert len(boxes) == 12
    assert all(left.x1 < right.x0 for left, right in zip(boxes, boxes[1:], strict=False))
