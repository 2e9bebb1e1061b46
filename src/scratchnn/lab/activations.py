"""Activation functions and their derivatives, as backpropagation sees them; softmax.

Each panel of ``activations.png`` draws an activation f(x) and its derivative f'(x). The
derivative is not a formula typed in here: it is what the library's autograd computes, by
calling ``backward()`` on ``sum_i f(x_i)`` (each output depends on its own input only, so
``d/dx_i sum_j f(x_j) = f'(x_i)``). Backpropagation multiplies the gradient by f'(x) at every
layer, so look at how large f' is:

* sigmoid: f' = f (1 - f) is at most 0.25 (at x = 0) and almost 0 for |x| > 5: ten sigmoid
  layers shrink a gradient by at least 0.25^10 ~ 1e-6 (vanishing gradients);
* tanh: f' = 1 - f^2 is at most 1, but also vanishes for large |x|;
* ReLU: f' = 1 for every x > 0 (no shrinking) and 0 for x < 0 (a unit that only ever sees
  negative inputs stops learning); Leaky ReLU, ELU, SELU and GELU keep a gradient for x < 0;
* softplus, ln(1 + e^x), is a smooth ReLU whose derivative is the sigmoid.

``softmax.png``: softmax turns any vector of scores z into probabilities,
``p_i = e^(z_i / T) / sum_j e^(z_j / T)``; they are positive and sum to 1, the largest score
gets the largest probability, and a temperature T < 1 sharpens them, T > 1 flattens them.
"""
import numpy as np

from .. import functional as F
from ..autograd import Tensor
from ..plot.figure import ERROR_COLOR, TRAIN_COLOR, VAL_COLOR, new_figure
from ._core import experiment

#: (label, function, formula in matplotlib mathtext) of each panel; Keras's default alphas.
ACTIVATIONS = [
    ("sigmoid", F.sigmoid, r"$1/(1 + e^{-x})$"),
    ("tanh", F.tanh, r"$\tanh(x)$"),
    ("ReLU", F.relu, r"$\max(0, x)$"),
    ("Leaky ReLU", lambda x: F.leaky_relu(x, alpha=0.3), r"$x$ if $x > 0$, else $0.3x$"),
    ("ELU", F.elu, r"$x$ if $x > 0$, else $e^x - 1$"),
    ("SELU", F.selu, r"$1.05\,x$ if $x > 0$, else $1.76\,(e^x - 1)$"),
    ("GELU", F.gelu, r"$x\,\Phi(x)$"),
    ("softplus", F.softplus, r"$\ln(1 + e^x)$"),
]
#: Where the report and ``numbers['derivatives_at']`` give f'(x) (tests compare them with PyTorch).
PROBES = [-3.0, -1.0, -0.5, 0.5, 1.0, 3.0]
SCORES = np.array([2.0, 1.0, 0.1, -1.0, 3.0])
CLASSES = ["cat", "dog", "bird", "fish", "frog"]
TEMPERATURES = [1.0, 0.5, 5.0]


def value_and_derivative(fn, x):
    """``f(x)`` by the forward pass and ``f'(x)`` by autograd, for an array of inputs ``x``."""
    t = Tensor(x, requires_grad=True, dtype=np.float64)
    y = fn(t)
    y.sum().backward()                 # d(sum_j f(x_j)) / dx_i = f'(x_i)
    return y.data, t.grad


def softmax(scores, temperature=1.0):
    """``F.softmax(z / T)``: probabilities that sum to 1."""
    return F.softmax(Tensor(np.asarray(scores) / temperature, dtype=np.float64)).data


@experiment("activations", "Activation functions and their derivatives; softmax",
            "sigmoid, tanh, ReLU, Leaky ReLU, ELU, SELU, GELU, softplus and f' by autograd; softmax",
            order=2)
def activations(lab):
    """The experiment: f and f' of eight activations by autograd, and softmax at three temperatures."""
    x = np.linspace(-5, 5, lab.pick(1001, 401))           # x = 0 is on the grid
    curves, at_probes = {}, {"x": PROBES}
    for name, fn, _ in ACTIVATIONS:
        y, dy = value_and_derivative(fn, x)
        curves[name] = (y, dy)
        at_probes[name] = value_and_derivative(fn, np.array(PROBES))[1]
    lab.number("derivatives_at", at_probes)

    d_sig, d_tanh = curves["sigmoid"][1], curves["tanh"][1]
    lab.say(f"sigmoid: max f'(x) = {d_sig.max():.4f} at x = {x[d_sig.argmax()]:g}; f'(5) = {d_sig[-1]:.4f} "
            f"(ten sigmoid layers scale a gradient by at most 0.25^10 = {0.25 ** 10:.1e})")
    lab.say(f"tanh: max f'(x) = {d_tanh.max():.4f} at x = {x[d_tanh.argmax()]:g}; f'(5) = {d_tanh[-1]:.5f}")
    lab.number("max_sigmoid_derivative", d_sig.max())
    lab.number("argmax_sigmoid_derivative", x[d_sig.argmax()])
    lab.number("max_tanh_derivative", d_tanh.max())
    lab.number("sigmoid_derivative_at_5", d_sig[-1])
    d_relu = curves["ReLU"][1]
    lab.say(f"ReLU: f'(x) = {d_relu[x > 0].min():g} for every x > 0 and {d_relu[x < 0].max():g} "
            f"for every x < 0")
    lab.number("relu_derivative_positive", d_relu[x > 0].min())
    lab.number("relu_derivative_negative", d_relu[x < 0].max())
    for name in ("Leaky ReLU", "ELU", "SELU", "GELU", "softplus"):
        dy = curves[name][1]
        lab.say(f"{name}: f' ranges over [{dy.min():.3f}, {dy.max():.3f}] on [-5, 5]; f'(-1) = "
                f"{at_probes[name][PROBES.index(-1.0)]:.4f}")
    lab.number("derivative_range", {name: [curves[name][1].min(), curves[name][1].max()]
                                    for name, _, _ in ACTIVATIONS})
    lab.figure("activations", _activations_figure(x, curves))

    probabilities = {t: softmax(SCORES, t) for t in TEMPERATURES}
    p = probabilities[1.0]
    lab.say(f"softmax of the scores {SCORES.tolist()}: {np.round(p, 3).tolist()}, sum = {p.sum():.6f}; "
            f"the largest score ({CLASSES[SCORES.argmax()]}) gets p = {p.max():.3f}")
    shift = np.abs(softmax(SCORES + 100.0) - p).max()
    lab.say(f"adding 100 to every score changes no probability by more than {shift:.1e} (softmax only sees "
            f"differences of scores)")
    for t in TEMPERATURES[1:]:
        lab.say(f"temperature T = {t:g}: the largest probability becomes {probabilities[t].max():.3f} "
                f"({'sharper' if t < 1 else 'flatter'})")
    lab.number("softmax_probabilities", p)
    lab.number("softmax_sum", p.sum())
    lab.number("softmax_shift_change", shift)
    lab.number("softmax_max_probability", {f"T={t:g}": probabilities[t].max() for t in TEMPERATURES})
    lab.figure("softmax", _softmax_figure(probabilities))


def _activations_figure(x, curves):
    """One panel per activation: f(x) solid, f'(x) from autograd dashed; the largest slopes marked."""
    fig = new_figure(14, 7.2)
    axes = fig.subplots(2, 4)
    for ax, (name, _, formula) in zip(axes.flat, ACTIVATIONS):
        y, dy = curves[name]
        ax.axhline(0, color="0.7", linewidth=0.8)
        ax.axvline(0, color="0.7", linewidth=0.8)
        ax.plot(x, y, color=TRAIN_COLOR, linewidth=2, label="f(x)")
        ax.plot(x, dy, "--", color=VAL_COLOR, linewidth=2, label="f'(x) (autograd)")
        if name in ("sigmoid", "tanh"):                        # the largest slope: 0.25 and 1
            i = dy.argmax()
            ax.plot(x[i], dy[i], "o", color=ERROR_COLOR, zorder=3)
            right = name == "sigmoid"                           # tanh: the text left of the peak
            ax.annotate(f"max f' = {dy[i]:.2f}", (x[i], dy[i]), xytext=(10, 6) if right else (-8, 4),
                        textcoords="offset points", color=ERROR_COLOR, ha="left" if right else "right")
        ax.set_title(f"{name}: f(x) = {formula}", fontsize="medium")
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(*{"sigmoid": (-0.1, 1.1), "tanh": (-1.2, 1.9)}.get(name, (-1.2, 3.2)))
        ax.set_xlabel("input x")
        ax.set_ylabel("f(x), f'(x)")
        ax.legend(loc="upper right" if name == "tanh" else "upper left", fontsize="small")
    fig.suptitle("Activations f (solid) and their derivatives f' computed by backpropagation (dashed)",
                 fontsize="x-large", fontweight="bold")
    return fig


def _softmax_figure(probabilities):
    """Bars of the scores, then of softmax(z / T) for each temperature T."""
    fig = new_figure(14, 4.4)
    axes = fig.subplots(1, 1 + len(TEMPERATURES))
    pos = np.arange(len(SCORES))
    ax = axes[0]
    ax.bar(pos, SCORES, color="0.55")
    ax.axhline(0, color="black", linewidth=0.8)
    for i, s in enumerate(SCORES):
        ax.text(i, s + (0.1 if s >= 0 else -0.1), f"{s:g}", ha="center", va="bottom" if s >= 0 else "top")
    ax.set_ylim(SCORES.min() - 0.8, SCORES.max() + 0.8)
    ax.set_title("scores z (logits): any real numbers")
    ax.set_ylabel("score")
    for ax, t in zip(axes[1:], TEMPERATURES):
        p = probabilities[t]
        ax.bar(pos, p, color=TRAIN_COLOR)
        for i, v in enumerate(p):
            ax.text(i, v + 0.015, f"{v:.2f}", ha="center", va="bottom")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"softmax(z / T), T = {t:g}: sum = {p.sum():.3f}")
        ax.set_ylabel("probability")
    for ax in axes:
        ax.set_xticks(pos, CLASSES)
        ax.set_xlabel("class")
    fig.suptitle("Softmax turns scores into probabilities (positive, summing to 1); "
                 "temperature T sharpens (T < 1) or flattens (T > 1)", fontsize="large", fontweight="bold")
    return fig
