"""The perceptron learns AND, OR and NAND but never XOR; a 2-2-1 network of sigmoids learns XOR.

A perceptron computes ``y_hat = step(w . x + b)``: it answers 1 on one side of the line
``w1 x1 + w2 x2 + b = 0`` and 0 on the other. Rosenblatt's rule moves the line after every
mistake: ``w <- w + lr (y - y_hat) x``. When a line can separate the two classes (AND, OR,
NAND) the rule stops making mistakes after a few epochs (the perceptron convergence theorem).
XOR's ones, (0, 1) and (1, 0), lie on the diagonal between its zeros: no line puts them on one
side, so at least one of the four points is always wrong (accuracy at most 3/4), and the
line keeps moving for ever.

A hidden layer fixes it: each of two sigmoid units draws a line, and the output unit tells the
band between the two lines from the rest of the plane. That network is trained by gradient
descent (backpropagation), which the perceptron rule is not: the step's derivative is 0 (see
``F.step``), so no gradient flows through it and the perceptron needs a rule of its own.

Look at ``perceptron.png`` (the learned lines; for XOR the best line it tried; mistakes per
epoch: XOR's never reach 0) and ``mlp_xor.png`` (the band the network draws, and the loss of
every restart: some initialisations end in a local minimum, which is why we restart).
"""
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.ticker import MaxNLocator

from .. import layers, optimizers
from ..datasets import toy
from ..models import Sequential
from ..plot.figure import ERROR_COLOR, SCHEDULE_COLOR, TRAIN_COLOR, VAL_COLOR, new_figure
from ..utils import set_random_seed
from ._core import experiment

GATES = ("and", "or", "nand", "xor")
CLASS_COLORS = (TRAIN_COLOR, VAL_COLOR)                  # class 0 blue, class 1 orange
PROBABILITY_CMAP = LinearSegmentedColormap.from_list("p_class1", [TRAIN_COLOR, "white", VAL_COLOR])


class Perceptron:
    """Rosenblatt's perceptron with a step activation, trained by the perceptron rule.

    Prediction: ``y_hat = step(w . x + b)``, i.e. 1 if ``w . x + b > 0`` else 0.

    Learning, one example ``(x, y)`` at a time (``y`` is 0 or 1)::

        y_hat <- step(w . x + b)
        w     <- w + learning_rate * (y - y_hat) * x
        b     <- b + learning_rate * (y - y_hat)

    A correct answer changes nothing (``y - y_hat = 0``); a missed 1 adds ``x`` to ``w`` (the
    line moves towards answering 1 for ``x``), a false 1 subtracts it. This is not gradient
    descent: the step's derivative is 0 wherever it exists, so a gradient would never move
    ``w``. The weights start at 0.
    """

    def __init__(self, n_inputs=2, learning_rate=1.0):
        """Weights and bias start at 0; ``learning_rate`` scales every correction."""
        if not isinstance(n_inputs, (int, np.integer)) or isinstance(n_inputs, bool) or n_inputs < 1:
            raise ValueError(f"Perceptron: n_inputs must be a positive integer, got {n_inputs!r}")
        if not isinstance(learning_rate, (int, float, np.number)) or isinstance(learning_rate, bool) \
                or not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"Perceptron: learning_rate must be a finite number > 0, got {learning_rate!r}")
        self.w = np.zeros(int(n_inputs))
        self.b = 0.0
        self.learning_rate = float(learning_rate)

    def predict(self, x):
        """``step(x @ w + b)`` for a batch ``x`` of shape (N, n_inputs): an array of N zeros and ones."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.w.size:
            raise ValueError(f"Perceptron.predict: x must have shape (N, {self.w.size}), got {x.shape}")
        return (x @ self.w + self.b > 0).astype(np.float64)

    def update(self, x, y):
        """The rule for one example ``x`` (shape (n_inputs,)) with label ``y``; returns ``y - y_hat``."""
        error = float(y) - self.predict(np.asarray(x, dtype=np.float64)[None])[0]   # 0, +1 or -1
        self.w += self.learning_rate * error * np.asarray(x, dtype=np.float64)
        self.b += self.learning_rate * error
        return error

    def train_epoch(self, x, y):
        """One pass of the rule over the examples, in order; returns the number of mistakes made."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != len(x):
            raise ValueError(f"Perceptron.train_epoch: x has {len(x)} examples but y has {len(y)}")
        return sum(int(self.update(xi, yi) != 0) for xi, yi in zip(x, y))   # online: one at a time


def train_perceptron(x, y, max_epochs, rng):
    """Train a ``Perceptron`` until an epoch has no mistake (converged) or ``max_epochs`` pass;
    each epoch visits the examples in a new random order (``rng``).

    Returns the perceptron, the mistakes of each epoch, the accuracy on all the points after
    every single update, and the best line visited as ``(w, b, accuracy)``.
    """
    y = y.ravel()
    p = Perceptron(n_inputs=x.shape[1], learning_rate=1.0)
    mistakes, accuracy, best = [], [], (p.w.copy(), p.b, float(np.mean(p.predict(x) == y)))
    for _ in range(max_epochs):
        errors = 0
        for i in rng.permutation(len(x)):
            errors += int(p.update(x[i], y[i]) != 0)
            accuracy.append(float(np.mean(p.predict(x) == y)))
            if accuracy[-1] > best[2]:
                best = (p.w.copy(), p.b, accuracy[-1])
        mistakes.append(errors)
        if errors == 0:
            break
    return p, mistakes, accuracy, best


def train_xor_mlp(x, y, seed, epochs):
    """A 2-2-1 sigmoid network trained on the four XOR points (full batch); returns model, losses."""
    set_random_seed(seed)                           # a different initialisation per restart
    model = Sequential([layers.Dense(2, activation="sigmoid"), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5, momentum=0.9), loss="binary_crossentropy")
    history = model.fit(x, y, batch_size=4, epochs=epochs, verbose=0)
    return model, history.history["loss"]


@experiment("perceptron", "The perceptron: AND, OR, NAND yes, XOR no; a hidden layer solves XOR",
            "the perceptron rule on logic gates, and a 2-2-1 sigmoid MLP on XOR", order=1)
def perceptron(lab):
    """The experiment: the perceptron rule on AND, OR, NAND and XOR, then a 2-2-1 MLP on XOR."""
    max_epochs = lab.pick(100, 30)
    runs = {}
    for gate in GATES:
        x, y = toy.logic_gate(gate)
        p, mistakes, accuracy, best = train_perceptron(x, y, max_epochs, lab.rng)
        runs[gate] = (x, y, p, mistakes, best)
        if mistakes[-1] == 0:
            lab.say(f"{gate.upper()}: the perceptron rule converged after {len(mistakes)} epochs "
                    f"(the last one without a mistake): w = ({p.w[0]:g}, {p.w[1]:g}), b = {p.b:g}, "
                    f"accuracy {accuracy[-1]:.2f}")
            lab.number(f"{gate}_epochs", len(mistakes))
        else:
            lab.say(f"{gate.upper()}: no epoch without a mistake in {len(mistakes)} epochs (still "
                    f"{mistakes[-1]} in the last one); accuracy at most {max(accuracy):.2f} after any of the "
                    f"{len(accuracy)} updates: no line separates XOR, the rule never converges")
            lab.number(f"{gate}_mistakes_last_epoch", mistakes[-1])
            lab.number(f"{gate}_epochs_run", len(mistakes))
        lab.number(f"{gate}_accuracy", accuracy[-1])
        lab.number(f"{gate}_best_accuracy", max(accuracy))
    lab.figure("perceptron", _gates_figure(runs, max_epochs))

    # XOR with one hidden layer: several initialisations, because some end in a local minimum.
    x, y = toy.logic_gate("xor")
    restarts, epochs = lab.pick(10, 3), lab.pick(1000, 400)
    results = []
    for k in range(restarts):
        model, losses = train_xor_mlp(x, y, lab.seed + k, epochs)
        accuracy = float(np.mean((model.predict(x, verbose=0) > 0.5) == (y > 0.5)))
        results.append((model, losses, accuracy))
    solved = [r for r in results if r[2] == 1.0]
    stuck = [r for r in results if r[2] < 1.0]
    best = min(results, key=lambda r: r[1][-1])
    lab.say(f"2-2-1 sigmoid MLP on XOR (SGD lr 0.5, momentum 0.9, binary cross-entropy, {epochs} full-batch "
            f"epochs): {len(solved)} of {restarts} initialisations solve it (best: accuracy {best[2]:.2f}, "
            f"loss {best[1][-1]:.4f})")
    if stuck:
        lab.say(f"  {len(stuck)} got stuck in a local minimum: loss "
                f"{', '.join(f'{r[1][-1]:.3f}' for r in stuck)}, accuracy "
                f"{', '.join(f'{r[2]:.2f}' for r in stuck)} (a 2-2-1 sigmoid net has such minima; restart)")
    lab.number("mlp_restarts", restarts)
    lab.number("mlp_solved", len(solved))
    lab.number("mlp_accuracy", best[2])
    lab.number("mlp_final_loss", best[1][-1])
    lab.figure("mlp_xor", _mlp_figure(x, y, best, stuck[0] if stuck else None, results, epochs))


# ---------------------------------------------------------------------------------- figures
def _points(ax, x, y, wrong):
    """The four inputs, coloured by class; the misclassified ones ringed in red."""
    y = y.ravel()
    for c in (0, 1):
        ax.scatter(x[y == c, 0], x[y == c, 1], s=140, color=CLASS_COLORS[c], edgecolor="black",
                   linewidth=1, zorder=3, label=f"class {c}")
    if wrong.any():
        ax.scatter(x[wrong, 0], x[wrong, 1], s=420, facecolor="none", edgecolor=ERROR_COLOR, linewidth=2,
                   zorder=4, label="misclassified")
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    ax.set_aspect("equal")
    ax.set_xlabel("input x1")
    ax.set_ylabel("input x2")


def _gates_figure(runs, max_epochs):
    """One panel per gate (points, the learned or best line, the shaded answer) and the mistakes per epoch."""
    fig = new_figure(13, 7.4)
    axes = fig.subplot_mosaic([list(GATES), ["mistakes"] * 4], height_ratios=[1.25, 1])
    g = np.linspace(-0.5, 1.5, 201)
    gx, gy = np.meshgrid(g, g)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    for gate in GATES:
        x, y, p, mistakes, best = runs[gate]
        w, b = (p.w, p.b) if mistakes[-1] == 0 else best[:2]     # XOR: the best line it visited
        ax = axes[gate]
        answer = (grid @ w + b > 0).reshape(gx.shape)
        ax.contourf(gx, gy, answer, levels=[-0.5, 0.5, 1.5], colors=CLASS_COLORS, alpha=0.18)
        if np.any(w != 0):                                      # the line w . x + b = 0
            ax.contour(gx, gy, (grid @ w + b).reshape(gx.shape), levels=[0], colors="black", linewidths=1.8)
        _points(ax, x, y, (x @ w + b > 0) != (y.ravel() > 0.5))
        if mistakes[-1] == 0:
            ax.set_title(f"{gate.upper()}: learned in {len(mistakes)} epochs")
        else:
            ax.set_title(f"{gate.upper()}: no line works; the best\nline it tried: {best[2]:.0%} right")
    handles, labels = axes["xor"].get_legend_handles_labels()
    handles.append(axes["xor"].plot([], [], color="black")[0])
    axes["xor"].legend(handles, labels + ["decision line"], loc="upper left", bbox_to_anchor=(1.04, 1.0),
                       borderaxespad=0)

    ax = axes["mistakes"]
    styles = {"and": "o-", "or": "s-", "nand": "^-", "xor": "D-"}
    shown = min(max_epochs, 20)
    for gate in GATES:
        mistakes = runs[gate][3]
        ax.plot(np.arange(1, len(mistakes) + 1), mistakes, styles[gate], label=gate.upper(),
                color=ERROR_COLOR if gate == "xor" else None, markersize=5)
    xor_mistakes = runs["xor"][3]
    ax.text(shown, 5.1, f"XOR: {min(xor_mistakes)}-{max(xor_mistakes)} mistakes in every one of its "
            f"{len(xor_mistakes)} epochs", ha="right", va="bottom", color=ERROR_COLOR)
    ax.set_xlim(0.5, shown + 0.5)
    ax.set_ylim(-0.2, 5.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch (one pass over the 4 examples, in random order)")
    ax.set_ylabel("mistakes in the epoch")
    ax.set_title(f"Mistakes per epoch (first {shown} epochs): the separable gates reach 0, XOR never does")
    ax.legend(ncols=4, loc="upper left")
    fig.suptitle("The perceptron rule on logic gates (decision line w·x + b = 0; shading: the answer)",
                 fontsize="x-large", fontweight="bold")
    return fig


def _probability_map(ax, model, x, y, title):
    """The network's output P(class 1) over the plane, its p = 0.5 boundary and each hidden unit's line."""
    g = np.linspace(-0.5, 1.5, 161)
    gx, gy = np.meshgrid(g, g)
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    prob = model.predict(grid, verbose=0).reshape(gx.shape)
    mesh = ax.pcolormesh(gx, gy, prob, cmap=PROBABILITY_CMAP, vmin=0, vmax=1, shading="auto",
                         alpha=0.55)
    ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1.8)
    kernel, bias = model.layers[0].kernel.data, model.layers[0].bias.data
    for j in range(2):                                          # each hidden unit's line
        ax.contour(gx, gy, (grid @ kernel[:, j] + bias[j]).reshape(gx.shape), levels=[0],
                   colors=SCHEDULE_COLOR, linestyles="--", linewidths=1.2)
    _points(ax, x, y, (model.predict(x, verbose=0).ravel() > 0.5) != (y.ravel() > 0.5))
    ax.plot([], [], color="black", label="output p = 0.5")
    ax.plot([], [], "--", color=SCHEDULE_COLOR, label="hidden units' lines")
    ax.legend(loc="upper left", fontsize="small", framealpha=0.9)
    ax.set_title(title)
    return mesh


def _mlp_figure(x, y, best, stuck, results, epochs):
    """A solved run's output map, a stuck run's (if any), and the loss of every restart."""
    panels = ["solved"] + (["stuck"] if stuck else []) + ["loss"]
    fig = new_figure(5.2 * len(panels) + 0.8, 5.4)
    axes = fig.subplot_mosaic([panels])
    mesh = _probability_map(axes["solved"], best[0], x, y, f"Solved: accuracy {best[2]:.2f}")
    if stuck:
        _probability_map(axes["stuck"], stuck[0], x, y,
                         f"Stuck in a local minimum: accuracy {stuck[2]:.2f}")
    fig.colorbar(mesh, ax=[axes[p] for p in panels if p != "loss"], label="network output P(class 1)",
                 shrink=0.85)

    ax = axes["loss"]
    for _, losses, accuracy in results:
        ok = accuracy == 1.0
        ax.plot(np.arange(1, len(losses) + 1), losses, color=TRAIN_COLOR if ok else ERROR_COLOR,
                alpha=0.8, linewidth=1.2)
    n_ok = sum(r[2] == 1.0 for r in results)
    ax.plot([], [], color=TRAIN_COLOR, label=f"solved: {n_ok} of {len(results)}")
    ax.plot([], [], color=ERROR_COLOR, label=f"stuck: {len(results) - n_ok} of {len(results)}")
    ax.set_yscale("log")
    ax.set_xlim(1, epochs)
    ax.set_xlabel("epoch (full batch of 4 examples)")
    ax.set_ylabel("training loss (binary cross-entropy)")
    ax.set_title(f"Loss of {len(results)} random initialisations")
    ax.legend(loc="lower left")
    fig.suptitle("A 2-2-1 sigmoid MLP learns XOR: two hidden lines (dashed), combined by the output unit",
                 fontsize="x-large", fontweight="bold")
    return fig
