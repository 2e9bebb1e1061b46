"""The language-model figures (``scratchnn/plot/language.py``): ``attention_maps`` (one panel
per layer and head, tokens on the axes, the image data equal to the scores) and
``temperature_probabilities`` (bar heights equal to softmax(logits / T), tokens in order).
"""
import numpy as np
import pytest

from scratchnn import plot
from scratchnn.plot.language import display_token

TOKENS = ["<s>", "the", "cat", "sat"]


def panels(fig, prefix):
    return {ax.get_gid(): ax for ax in fig.axes if (ax.get_gid() or "").startswith(prefix)}


def causal_weights(rng, layers, heads, t):
    raw = rng.normal(size=(layers, heads, t, t))
    raw = np.where(np.tril(np.ones((t, t), bool)), raw, -np.inf)
    e = np.exp(raw - raw.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def labels(axis_labels):
    return [t.get_text() for t in axis_labels]


def test_attention_maps_one_panel_per_layer_and_head_with_tokens_and_scores(rng, tmp_path):
    scores = causal_weights(rng, 2, 3, 4)
    fig = plot.attention_maps(scores, TOKENS, TOKENS, layer_names=["block 1", "block 2"],
                              path=tmp_path / "attention.png")
    grid = panels(fig, "attention-")
    assert sorted(grid) == [f"attention-{layer}-{head}" for layer in range(2) for head in range(3)]
    assert len(fig.axes) == 6 + 1                                      # the panels and one colour bar
    for layer in range(2):
        for head in range(3):
            ax = grid[f"attention-{layer}-{head}"]
            np.testing.assert_array_equal(ax.images[0].get_array(), scores[layer, head])
            assert ax.get_title() == f"block {layer + 1}, head {head + 1}"
            assert ax.images[0].get_clim() == (0.0, 1.0)
    bottom_left = grid["attention-1-0"]
    assert labels(bottom_left.get_xticklabels()) == TOKENS and labels(bottom_left.get_yticklabels()) == TOKENS
    assert bottom_left.get_xlabel() == "key" and bottom_left.get_ylabel() == "query"
    assert labels(grid["attention-0-1"].get_yticklabels()) == [""] * 4    # inner panels: no repeated labels
    assert (tmp_path / "attention.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_attention_maps_from_a_list_of_layers_with_different_heads_and_cross_attention(rng):
    first, second = rng.random((2, 3, 5)), rng.random((1, 3, 5))
    fig = plot.attention_maps([first, second], "abc", ["w", "x", " ", "y", "\n"])
    grid = panels(fig, "attention-")
    assert sorted(grid) == ["attention-0-0", "attention-0-1", "attention-1-0"]   # the empty slot is gone
    np.testing.assert_array_equal(grid["attention-1-0"].images[0].get_array(), second[0])
    assert labels(grid["attention-1-0"].get_xticklabels()) == ["w", "x", "␣", "y", "\\n"]
    assert labels(grid["attention-1-0"].get_yticklabels()) == ["a", "b", "c"]
    assert grid["attention-0-0"].get_title() == "layer 1, head 1"
    # layer 1, head 2 has no panel below it: it carries the key tokens itself
    assert labels(grid["attention-0-1"].get_xticklabels()) == ["w", "x", "␣", "y", "\\n"]
    assert grid["attention-0-1"].get_xlabel() == "key" and grid["attention-0-0"].get_xlabel() == ""


def test_masked_and_raw_scores():
    scores = np.array([[0.0, -np.inf], [2.0, -3.0]])
    fig = plot.attention_maps(scores, ["a", "b"])
    image = panels(fig, "attention-")["attention-0-0"].images[0]
    assert image.get_array().mask.tolist() == [[False, True], [False, False]]    # -inf: left blank
    assert image.get_clim() == (-3.0, 2.0)                                       # not weights: the range


@pytest.mark.parametrize("args, kwargs, message", [
    ((np.zeros((1, 1, 2, 3)), ["a", "b", "c"], ["a", "b", "c"]), {},
     "tokens_q has 3 tokens, but the scores have 2 rows"),
    ((np.zeros((1, 1, 2, 3)), ["a", "b"], ["a"]), {}, "tokens_k has 1 tokens, but the scores have 3 columns"),
    ((np.zeros((2, 1, 2, 2)), ["a", "b"]), {"layer_names": ["one"]},
     "layer_names must name each of the 2 layers"),
    ((np.zeros((1, 1, 1, 2, 2)), ["a", "b"]), {}, r"scores must be an array \(layers, heads, Tq, Tk\)"),
    (([np.zeros((1, 2, 2)), np.zeros((1, 3, 3))], ["a", "b"]), {}, "every layer must have the same"),
    ((np.full((2, 2), np.nan), ["a", "b"]), {}, "the scores hold no finite value"),
])
def test_attention_maps_bad_arguments(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot.attention_maps(*args, **kwargs)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_temperature_probabilities_bars_equal_the_softmax_at_each_temperature(tmp_path):
    logits = np.array([1.0, 3.0, -1.0, 2.0, 0.0, 0.5])
    tokens = ["a", "b", " ", "d", "\n", "f"]
    temperatures = [0.5, 1.0, 2.0]
    fig = plot.temperature_probabilities(logits, temperatures, tokens=tokens, top=4, path=tmp_path / "t.png")
    assert len(fig.axes) == 3
    order = [1, 3, 0, 5]                                    # the 4 largest logits, decreasing
    entropies = []
    for ax, temperature in zip(fig.axes, temperatures):
        assert ax.get_gid() == f"temperature-{temperature:g}"
        heights = [bar.get_height() for bar in ax.patches]
        p = softmax(logits / temperature)
        np.testing.assert_allclose(heights, p[order])
        entropies.append(float(ax.get_title().split("entropy ")[1].split(" nats")[0]))
        assert f"other tokens {1 - p[order].sum():.1%}" in ax.get_title()
        assert ax.get_ylim() == fig.axes[0].get_ylim()      # one scale for all panels
    assert entropies == sorted(entropies) and entropies[0] < entropies[-1]
    assert labels(fig.axes[-1].get_xticklabels()) == ["b", "d", "a", "f"]
    assert (tmp_path / "t.png").stat().st_size > 0


def test_temperature_zero_is_all_on_the_largest_logit_and_tokens_default_to_ids():
    fig = plot.temperature_probabilities([0.2, 0.9, 0.1], [0], top=None)
    np.testing.assert_array_equal([bar.get_height() for bar in fig.axes[0].patches], [1.0, 0.0, 0.0])
    assert labels(fig.axes[0].get_xticklabels()) == ["1", "0", "2"]
    assert "entropy 0.00 nats" in fig.axes[0].get_title() and "other" not in fig.axes[0].get_title()


@pytest.mark.parametrize("args, kwargs, message", [
    (([1.0, 2.0], [-1.0]), {}, r"temperature must be a finite number >= 0 \(0 = greedy\), got -1.0"),
    (([[1.0, 2.0]], [1.0]), {}, r"logits must be a 1-D array of finite numbers .* got shape \(1, 2\)"),
    (([1.0, np.nan], [1.0]), {}, "logits must be a 1-D array of finite numbers"),
    (([1.0, 2.0], [1.0]), {"tokens": ["a"]}, "tokens has 1 entries, logits has 2"),
    (([1.0, 2.0], [1.0]), {"top": 0}, "top must be None or an integer >= 1, got 0"),
    (([1.0, 2.0], []), {}, "give at least one temperature"),
])
def test_temperature_probabilities_bad_arguments(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot.temperature_probabilities(*args, **kwargs)


def test_display_token_makes_whitespace_visible():
    assert [display_token(t) for t in [" ", "\n", "\t", "", "ab", 7]] == ["␣", "\\n", "\\t", "''", "ab", "7"]
