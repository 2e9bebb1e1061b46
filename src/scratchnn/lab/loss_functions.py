"""Loss functions: cross-entropy vs MSE for a sigmoid, MAE vs MSE under outliers, convex vs not.

1. A sigmoid output ``p = s(z)`` with true label 1. Backpropagation needs dL/dz:

   * cross-entropy ``L = -log p``:    ``dL/dz = p - 1``                 (about -1 when p ~ 0)
   * squared error ``L = (1 - p)^2``: ``dL/dz = -2 (1 - p) p (1 - p)``  (about -2p when p ~ 0)

   The sigmoid's slope ``p (1 - p)`` multiplies the MSE gradient, so a badly wrong output
   (p = 0.01) gets a tiny gradient from MSE and learns slowly, while cross-entropy's log cancels
   that slope and pushes hardest exactly when the answer is most wrong. Both gradients here are
   computed by the library's losses and autograd, and a single neuron started at p = 0.01 is
   trained with each loss to see the difference in steps.

2. Fitting a line: MSE squares the residuals, so one point 15 units off weighs as much as 225
   points 1 unit off, and a few outliers drag the line towards them. MAE grows only linearly
   (its gradient is sign(residual), the same for every point): it fits the median-like line of
   the majority and ignores the outliers.

3. The loss of a linear model under MSE is a quadratic function of its weights: a convex bowl
   with one minimum. The loss of even the smallest network, ``y = w2 tanh(w1 x)``, is not
   convex: flipping the signs of both weights gives the same function, so there are two minima,
   and the point halfway between them (w = 0, the constant 0) is much worse than either. That
   is why training a network depends on where it starts.
"""
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

from .. import functional as F
from .. import layers, losses
from .. import optimizers as opt
from ..autograd import Tensor
from ..datasets import toy
from ..models import Sequential
from ..plot.figure import ERROR_COLOR, TRAIN_COLOR, VAL_COLOR, new_figure
from ..utils import set_random_seed
from ._core import experiment

CE_COLOR, MSE_COLOR, MAE_COLOR = TRAIN_COLOR, VAL_COLOR, "#2ca02c"


def sigmoid_output_gradients(p, loss):
    """Loss and dL/dz at probabilities ``p`` for a sigmoid output ``p = s(z)`` with true label 1.

    ``loss`` is a library loss object with ``reduction='none'``; dL/dz comes from autograd.
    """
    z = Tensor(np.log(p / (1 - p))[:, None], requires_grad=True, dtype=np.float64)   # logits
    values = loss(np.ones_like(z.data), F.sigmoid(z))          # one loss per probability
    values.sum().backward()                                   # z.grad[i] = dL_i / dz_i
    return values.data, z.grad[:, 0]


def train_neuron(loss, start_p, learning_rate, steps):
    """One sigmoid neuron ``p = s(w * 1 + b)`` started at probability ``start_p`` for the label 1,
    trained by SGD on ``loss``; returns p after each step."""
    start = np.log(start_p / (1 - start_p))
    w = Tensor(np.array([start / 2]), requires_grad=True, dtype=np.float64)
    b = Tensor(np.array([start / 2]), requires_grad=True, dtype=np.float64)
    sgd = opt.SGD(learning_rate=learning_rate)
    ps = [start_p]
    for _ in range(steps):
        w.zero_grad()
        b.zero_grad()
        p = F.sigmoid(w * 1.0 + b)
        loss(np.ones((1,)), p).backward()
        sgd.step([w, b])
        ps.append(float(F.sigmoid(w + b).data[0]))
    return np.array(ps)


def fit_line(x, y, loss, epochs, seed):
    """Fit ``y = a x + b`` with a one-unit Dense layer, the given loss and Adam (full batch)."""
    set_random_seed(seed)
    model = Sequential([layers.Input((1,)), layers.Dense(1)])
    model.compile(optimizer=opt.Adam(learning_rate=0.1), loss=loss)
    model.fit(x, y, batch_size=len(x), epochs=epochs, verbose=0)
    return float(model.layers[0].kernel.data[0, 0]), float(model.layers[0].bias.data[0])


def loss_surface(predict, x, y, w1, w2):
    """MSE of ``predict(w1, w2, x)`` on (x, y) at every pair of a grid of weights, with the library's
    loss: row r of the predictions belongs to the r-th pair (mean over the data = one row)."""
    g1, g2 = np.meshgrid(w1, w2)
    a, b = Tensor(g1.reshape(-1, 1), dtype=np.float64), Tensor(g2.reshape(-1, 1), dtype=np.float64)
    y_pred = predict(a, b, Tensor(x[None, :], dtype=np.float64))        # (pairs, N)
    targets = np.broadcast_to(y[None, :], y_pred.shape)
    return losses.MeanSquaredError(reduction="none")(targets, y_pred).data.reshape(g1.shape)


def linear(w1, w2, x):
    """A linear model's prediction w1 x + w2 (for the loss surface)."""
    return w1 * x + w2


def tiny_network(w1, w2, x):
    """The smallest network's prediction w2 tanh(w1 x): one tanh hidden unit (for the loss surface)."""
    return w2 * F.tanh(w1 * x)


def local_minima(surface):
    """(row, column) of the grid points lower than their 8 neighbours (the border excluded)."""
    centre = surface[1:-1, 1:-1]
    lower = np.ones_like(centre, dtype=bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                lower &= centre < surface[1 + dr:surface.shape[0] - 1 + dr, 1 + dc:surface.shape[1] - 1 + dc]
    return [(r + 1, c + 1) for r, c in zip(*np.nonzero(lower))]


def midpoint_violations(surface, rng, pairs=4000):
    """Fraction of random pairs of grid points (a, b) whose midpoint m = (a + b) / 2 is a grid point
    with L(m) > (L(a) + L(b)) / 2: never for a convex function."""
    shape = np.array(surface.shape)
    a = rng.integers(0, shape, size=(pairs, 2))
    m = rng.integers(0, shape, size=(pairs, 2))
    b = 2 * m - a                                              # so that m is exactly halfway
    keep = np.all((b >= 0) & (b < shape), axis=1)
    a, m, b = a[keep], m[keep], b[keep]
    la, lb, lm = surface[a[:, 0], a[:, 1]], surface[b[:, 0], b[:, 1]], surface[m[:, 0], m[:, 1]]
    return float(np.mean(lm > (la + lb) / 2 + 1e-9))


@experiment("loss-functions", "Loss functions: cross-entropy vs MSE, MAE vs MSE, convex vs non-convex",
            "gradients of MSE and cross-entropy through a sigmoid, lines fitted with outliers, loss surfaces",
            order=7)
def loss_functions(lab):
    # 1. Cross-entropy vs MSE through a sigmoid, true label 1.
    """The experiment: cross-entropy vs MSE through a sigmoid, MAE vs MSE with outliers, loss surfaces."""
    p = np.linspace(0.001, 0.999, lab.pick(999, 300))
    bce, mse = losses.BinaryCrossentropy(reduction="none"), losses.MeanSquaredError(reduction="none")
    ce_loss, ce_grad = sigmoid_output_gradients(p, bce)
    mse_loss, mse_grad = sigmoid_output_gradients(p, mse)
    probe = np.array([0.01, 0.5])
    ce_at, mse_at = sigmoid_output_gradients(probe, bce)[1], sigmoid_output_gradients(probe, mse)[1]
    lab.say(f"sigmoid output with true label 1, at p = 0.01: |dL/dz| = {abs(ce_at[0]):.4f} for cross-entropy "
            f"(p - 1), {abs(mse_at[0]):.4f} for MSE (2 (1 - p)^2 p): {abs(ce_at[0] / mse_at[0]):.0f} times "
            f"larger; at p = 0.5: {abs(ce_at[1]):.3f} vs {abs(mse_at[1]):.3f}")
    lab.number("grad_at_p001", {"cross_entropy": abs(ce_at[0]), "mse": abs(mse_at[0])})
    lab.number("grad_at_p05", {"cross_entropy": abs(ce_at[1]), "mse": abs(mse_at[1])})
    steps, lr = 100, 1.0
    neuron = {"cross-entropy": train_neuron(bce, 0.01, lr, steps), "MSE": train_neuron(mse, 0.01, lr, steps)}
    reach = {name: int(np.argmax(ps > 0.5)) if np.any(ps > 0.5) else None for name, ps in neuron.items()}
    mse_text = (f"after {reach['MSE']} steps with MSE" if reach["MSE"] is not None
                else f"not within {steps} steps with MSE (p = {neuron['MSE'][-1]:.3f})")
    lab.say(f"a neuron started at p = 0.01, SGD lr {lr:g}: p passes 0.5 after {reach['cross-entropy']} steps "
            f"with cross-entropy, {mse_text}")
    lab.number("steps_to_p05", reach)
    lab.figure("cross_entropy_vs_mse", _ce_figure(p, ce_loss, ce_grad, mse_loss, mse_grad, neuron, lr))

    # 2. MAE vs MSE when a few points are far off.
    x, y = toy.linear_regression(n_samples=40, slope=2.0, intercept=1.0, noise=0.5, x_range=(-3, 3),
                                 random_state=lab.seed)
    outlier_x = np.linspace(1.5, 3.0, 4, dtype=np.float32)[:, None]
    outlier_y = 2.0 * outlier_x + 1.0 - 15.0                    # 15 below the line
    x_all, y_all = np.concatenate([x, outlier_x]), np.concatenate([y, outlier_y])
    epochs = lab.pick(400, 200)
    fits = {"MSE": fit_line(x_all, y_all, "mse", epochs, lab.seed),
            "MAE": fit_line(x_all, y_all, "mae", epochs, lab.seed)}
    least_squares = np.polyfit(x_all[:, 0], y_all[:, 0], 1)
    lab.say(f"line y = 2x + 1 with noise 0.5, {len(x)} points plus {len(outlier_x)} outliers 15 below it: "
            f"slope fitted with MSE {fits['MSE'][0]:.2f} (least squares: {least_squares[0]:.2f}), with MAE "
            f"{fits['MAE'][0]:.2f}; true slope 2.00")
    lab.number("true_slope", 2.0)
    lab.number("mse_slope", fits["MSE"][0])
    lab.number("mae_slope", fits["MAE"][0])
    lab.number("least_squares_slope", float(least_squares[0]))
    lab.figure("outliers", _outliers_figure(x, y, outlier_x, outlier_y, fits))

    # 3. Convex (linear model) vs non-convex (one tanh unit) loss surfaces over two weights.
    rng = np.random.default_rng(lab.seed)
    xs = rng.uniform(-2, 2, 50)
    n = lab.pick(161, 81)
    w1, w2 = np.linspace(-3, 3, n), np.linspace(-3, 3, n)
    surfaces = {"linear": loss_surface(linear, xs, 1.0 * xs + 0.5 + rng.normal(0, 0.1, 50), w1, w2),
                "network": loss_surface(tiny_network, xs, 2.0 * np.tanh(1.5 * xs), w1, w2)}
    models = {"linear": "linear model y = w1 x + w2", "network": "network y = w2 tanh(w1 x)"}
    for name, surface in surfaces.items():
        minima = local_minima(surface)
        violations = midpoint_violations(surface, rng)
        where = ", ".join(f"({w1[c]:.2f}, {w2[r]:.2f})" for r, c in minima)
        kind = "local minimum" if len(minima) == 1 else "local minima"
        verdict = "convex" if violations == 0 else "not convex"
        lab.say(f"{models[name]}: {len(minima)} {kind} on the grid at {where}; L(midpoint) > mean of the "
                f"ends for {violations:.1%} of random pairs ({verdict})")
        lab.number(f"{name}_minima", len(minima))
        lab.number(f"{name}_midpoint_violations", violations)
    net = surfaces["network"]
    minima = local_minima(net)
    halfway = net[n // 2, n // 2]
    lab.say(f"network: the loss at its minima is {max(net[r, c] for r, c in minima):.4f}, halfway between "
            f"them (w = 0) it is {halfway:.3f}")
    lab.number("network_loss_halfway", float(halfway))
    lab.figure("loss_surfaces", _surfaces_figure(w1, w2, surfaces))


# ---------------------------------------------------------------------------------- figures
def _ce_figure(p, ce_loss, ce_grad, mse_loss, mse_grad, neuron, lr):
    """Loss and |dL/dz| against p for both losses, and p over SGD steps for a neuron started at p = 0.01."""
    fig = new_figure(15, 4.8)
    ax_loss, ax_grad, ax_train = fig.subplots(1, 3)
    ax_loss.plot(p, ce_loss, color=CE_COLOR, linewidth=2, label="cross-entropy  -log p")
    ax_loss.plot(p, mse_loss, color=MSE_COLOR, linewidth=2, label="squared error  (1 - p)²")
    ax_loss.set_ylim(0, 5)
    ax_loss.set_title("Loss for the true label 1")
    ax_grad.plot(p, np.abs(ce_grad), color=CE_COLOR, linewidth=2, label="cross-entropy  |p - 1|")
    ax_grad.plot(p, np.abs(mse_grad), color=MSE_COLOR, linewidth=2, label="squared error  2p(1 - p)²")
    ax_grad.set_yscale("log")
    ax_grad.set_ylim(1e-4, 2)
    ax_grad.axvline(0.01, color="black", linestyle=":", linewidth=1)
    ax_grad.text(0.02, 1.2e-4, "p = 0.01", va="bottom")
    ax_grad.set_title("Gradient reaching the logit, |dL/dz| (autograd)")
    ax_grad.set_ylabel("|dL/dz| (log scale)")
    for ax, where in ((ax_loss, "upper right"), (ax_grad, "lower center")):
        ax.set_xlabel("predicted probability p = sigmoid(z) of the true class")
        ax.set_xlim(0, 1)
        ax.legend(loc=where)
    ax_loss.set_ylabel("loss")
    colors = {"cross-entropy": CE_COLOR, "MSE": MSE_COLOR}
    for name, ps in neuron.items():
        ax_train.plot(np.arange(len(ps)), ps, color=colors[name], linewidth=2, label=name)
    ax_train.axhline(0.5, color="black", linestyle=":", linewidth=1)
    ax_train.set_ylim(0, 1)
    ax_train.set_xlim(0, len(ps) - 1)
    ax_train.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_train.set_xlabel(f"SGD step (lr {lr:g})")
    ax_train.set_ylabel("p of the true class")
    ax_train.set_title("One neuron started badly wrong (p = 0.01)")
    ax_train.legend(loc="lower right")
    fig.suptitle("Cross-entropy vs squared error behind a sigmoid: a wrong answer learns fast only with "
                 "cross-entropy", fontsize="x-large", fontweight="bold")
    return fig


def _outliers_figure(x, y, outlier_x, outlier_y, fits):
    """The data, the outliers, the true line and the lines fitted with MSE and MAE."""
    fig = new_figure(8.5, 5.8)
    ax = fig.add_subplot()
    ax.scatter(x[:, 0], y[:, 0], color="0.35", s=22, label="data: y = 2x + 1 + noise")
    ax.scatter(outlier_x[:, 0], outlier_y[:, 0], color=ERROR_COLOR, s=50, marker="X", label="outliers")
    grid = np.linspace(-3.2, 3.2, 2)
    ax.plot(grid, 2 * grid + 1, color="black", linestyle=":", linewidth=1.5, label="true line (slope 2)")
    for name, color in (("MSE", MSE_COLOR), ("MAE", MAE_COLOR)):
        a, b = fits[name]
        ax.plot(grid, a * grid + b, color=color, linewidth=2.2, label=f"fitted with {name} (slope {a:.2f})")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("MSE is pulled towards the outliers, MAE is not")
    ax.legend(loc="upper left")
    fig.suptitle("Fitting a line with MSE and with MAE (Dense(1), Adam)", fontsize="x-large",
                 fontweight="bold")
    return fig


def _surfaces_figure(w1, w2, surfaces):
    """Contours of the two loss surfaces with their minima (and the point halfway between two)."""
    fig = new_figure(13, 5.8)
    axes = fig.subplots(1, 2)
    titles = {"linear": "Linear model y = w1·x + w2: convex",
              "network": "Network y = w2·tanh(w1·x): not convex"}
    for ax, (name, surface) in zip(axes, surfaces.items()):
        levels = np.geomspace(max(surface.min(), 1e-3), surface.max(), 30)
        filled = ax.contourf(w1, w2, surface, levels=levels, cmap="viridis",
                             norm=LogNorm())
        ax.contour(w1, w2, surface, levels=levels[::3], colors="white", linewidths=0.4, alpha=0.6)
        minima = local_minima(surface)
        ax.plot([w1[c] for r, c in minima], [w2[r] for r, c in minima], "*", color="gold",
                markeredgecolor="black", markersize=16,
                label="the minimum" if len(minima) == 1 else f"{len(minima)} minima")
        if len(minima) == 2:
            (r1, c1), (r2, c2) = minima
            ax.plot([w1[c1], w1[c2]], [w2[r1], w2[r2]], "--", color="white", linewidth=1.2)
            ax.plot((w1[c1] + w1[c2]) / 2, (w2[r1] + w2[r2]) / 2, "o", color=ERROR_COLOR, markersize=9,
                    markeredgecolor="white", label="halfway: much higher loss")
        ax.set_xlabel("w1 (weight)")
        ax.set_ylabel("w2 (bias)" if name == "linear" else "w2 (output weight)")
        ax.set_title(titles[name])
        ax.legend(loc="upper left", framealpha=0.9)
        decades = 10.0 ** np.arange(np.floor(np.log10(levels[0])), np.ceil(np.log10(levels[-1])) + 1)
        fig.colorbar(filled, ax=ax, label="MSE loss (log colour scale)", format="%g",
                     ticks=decades[(decades >= levels[0]) & (decades <= levels[-1])])
    fig.suptitle("Loss surfaces over two weights", fontsize="x-large", fontweight="bold")
    return fig
