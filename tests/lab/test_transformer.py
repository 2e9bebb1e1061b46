"""The ladder of language models (``scratchnn/lab/transformer.py``): bigram, MLP over 8
characters, transformer, trained alike on tiny Shakespeare; the validation loss falls down the
ladder.
"""
import numpy as np
import pytest

from scratchnn.lab.transformer import CONTEXT, bigram, mlp
from scratchnn.utils import set_random_seed

from tests.lab.helpers import assert_saved, check_axes, legend_texts, plot_axes, suptitle


def _reach(model, length=20, position=10, vocab=9):
    """The positions whose logits change when the token at ``position`` changes."""
    ids = np.arange(length)[None] % vocab
    changed = ids.copy()
    changed[0, position] = (ids[0, position] + 1) % vocab
    before, after = model(ids).data[0], model(changed).data[0]
    return [t for t in range(length) if not np.allclose(before[t], after[t])]


def test_bigram_reads_the_current_character_only():
    set_random_seed(0)
    assert _reach(bigram(9, 20)) == [10]


def test_mlp_reads_the_last_eight_characters():
    set_random_seed(0)
    model = mlp(9, 20)
    assert _reach(model) == list(range(10, 10 + CONTEXT))      # the character and the 7 after it see it
    assert model.count_params() == 9 * 16 + (CONTEXT * 16 * 128 + 128) + (128 * 9 + 9)


def test_the_validation_loss_falls_down_the_ladder(results):
    result, folder = results("transformer")
    n = result.numbers
    assert_saved(result, folder)
    loss = n["val_loss"]
    assert list(loss) == ["bigram", "MLP", "transformer"]
    assert loss["bigram"] > loss["MLP"] > loss["transformer"]
    assert n["ladder_holds"] is True
    assert n["gains"]["bigram -> MLP"] > 0.1 and n["gains"]["MLP -> transformer"] > 0.02
    assert n["uniform_loss"] == pytest.approx(np.log(65))
    # Every model learned: each starts no better than a uniform guess (random weights) and ends far below it.
    for name, curve in n["val_curves"].items():
        assert curve[0][0] == 0 and curve[-1][0] == n["steps"]
        assert curve[0][1] > n["uniform_loss"] - 0.2, name
        assert curve[-1][1] == pytest.approx(loss[name]) and loss[name] < n["uniform_loss"] - 1.5
    assert n["weights"]["bigram"] == 65 * 65
    for name in loss:
        assert f"{name:<12} {n['weights'][name]:>7} weights" in result.report
        assert n["samples"][name].startswith("ROMEO:\n") and n["samples"][name] in result.report


def test_ladder_figure(results):
    result, _ = results("transformer")
    assert set(result.figures) == {"validation_loss"}
    fig = result.figures["validation_loss"]
    assert "ladder" in suptitle(fig)
    ax, zoom = plot_axes(fig)
    check_axes(ax, legend=True)
    check_axes(zoom, legend=False)
    texts = legend_texts(ax)
    for name, value in result.numbers["val_loss"].items():
        assert any(t.startswith(name) and t.endswith(f"{value:.3f}") for t in texts), name
    lines = {line.get_label().split(" (")[0]: line for line in ax.get_lines()}
    zoomed = {line.get_label().split(" (")[0]: line for line in zoom.get_lines()}
    for name, curve in result.numbers["val_curves"].items():
        np.testing.assert_allclose(lines[name].get_ydata(), [v for _, v in curve])
        late = [v for s, v in curve if s >= result.numbers["steps"] / 2]
        np.testing.assert_allclose(zoomed[name].get_ydata(), late)
