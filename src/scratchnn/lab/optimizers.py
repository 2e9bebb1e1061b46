"""Optimizers: how GD, SGD, Momentum, Nesterov, AdaGrad, AdaDelta, RMSprop and Adam walk downhill.

Every optimizer here is the class you train networks with (``scratchnn.optimizers``), moving
a ``Tensor`` of two numbers ``w = (x, y)`` across a 2-D landscape f(w). Each step computes f
with Tensor operations, calls ``backward()`` for the gradient g = grad f(w), and hands it to
``optimizer.apply([g], [w])``. The rules (g: gradient, lr: learning rate)::

    GD / SGD   w <- w - lr g                                 (SGD: g is a noisy estimate)
    Momentum   v <- 0.9 v - lr g;  w <- w + v                (a ball that keeps its speed)
    Nesterov   the same, with the gradient felt one step ahead
    AdaGrad    a <- a + g^2;  w <- w - lr g / sqrt(a)        (per-coordinate steps, shrinking)
    AdaDelta   like RMSprop, with steps in the units of w (no learning rate in the paper)
    RMSprop    s <- 0.9 s + 0.1 g^2;  w <- w - lr g / sqrt(s)
    Adam       momentum of g divided by the RMS of g, both bias-corrected

What to look at:

* the elongated bowl ``x^2/100 + y^2``: its curvature across the valley (2, along y) is 100
  times its curvature along it (1/50, along x). GD's learning rate is capped by the steep
  direction (above 2/2 = 1, y diverges); its best one, lr = 2 / (2 + 1/50) = 0.99, makes each
  step overshoot the valley floor (y <- (1 - 2 lr) y = -0.98 y: the step across changes sign
  every time, a zig-zag that dies out slowly) while x crawls (x <- (1 - lr/50) x = 0.98 x).
  Momentum averages the steps: the alternating parts across the valley cancel in the velocity,
  the steady part along it adds up, so (lr 0.2, β 0.9) it swings across a few times, the swing
  dies out (by sqrt(β) = 0.95 per step) and it runs along the valley to the minimum: figure
  ``bowl_momentum``. SGD adds noise to GD's gradient (at a smaller rate: near the limit the
  noise piles up across the valley); the adaptive methods divide each coordinate by its own
  gradient scale;
* Rosenbrock's banana ``(1 - x)^2 + 100 (y - x^2)^2``: a curved, flat-bottomed valley where
  GD creeps and Adam gets to the minimum (1, 1);
* two wells ``(x^2 - 1)^2 + x/4 + y^2``: the well at x = 1 is a local minimum, the deeper one
  at x = -1 the global minimum; plain steps settle in the first well they reach, momentum can
  carry over the ridge;
* MNIST: the same optimizers train the same network from the same initial weights on the
  same mini-batches; the report ranks them by the training loss after the same number of steps.

Learning rates are chosen per optimizer (they are not comparable across rules) and stated in
the legends and the report. AdaDelta uses lr = 1.0, as in its paper: with Keras's default
lr = 0.001 it barely moves (the report measures it).
"""
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import FormatStrFormatter

from .. import layers
from .. import optimizers as opt
from ..autograd import Tensor
from ..models import Sequential
from ..plot.figure import new_figure
from ..utils import set_random_seed
from ._core import experiment
from ._data import mnist
from ._smooth import moving_average

NAMES = ["GD", "SGD", "Momentum", "Nesterov", "AdaGrad", "AdaDelta", "RMSprop", "Adam"]
COLORS = dict(zip(NAMES, ["#7f7f7f", "#bcbd22", "#1f77b4", "#17becf", "#9467bd", "#8c564b", "#2ca02c",
                          "#d62728"]))


def make_optimizer(name, lr):
    """The library's optimizer for ``name`` with learning rate ``lr`` (momentum 0.9, other defaults)."""
    if name in ("GD", "SGD"):
        return opt.SGD(learning_rate=lr)
    if name == "Momentum":
        return opt.SGD(learning_rate=lr, momentum=0.9)
    if name == "Nesterov":
        return opt.SGD(learning_rate=lr, momentum=0.9, nesterov=True)
    return {"AdaGrad": opt.Adagrad, "AdaDelta": opt.Adadelta, "RMSprop": opt.RMSprop,
            "Adam": opt.Adam}[name](learning_rate=lr)


# ----------------------------------------------------------------------- the 2-D landscapes
# Each f takes w with w[0] = x, w[1] = y: a Tensor of shape (2,) (for backward) or a stacked
# NumPy grid (for the contour plot); the same code serves both.
def bowl(w):
    """The elongated bowl f = x^2/100 + y^2: curvature 1/50 along x, 2 along y; minimum at (0, 0)."""
    return w[0] * w[0] / 100 + w[1] * w[1]


def rosenbrock(w):
    """Rosenbrock's function f = (1 - x)^2 + 100 (y - x^2)^2: a curved valley, minimum at (1, 1)."""
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] * w[0]) ** 2


def two_wells(w):
    """f = (x^2 - 1)^2 + x/4 + y^2: a local minimum near x = 0.97, the global one near x = -1.03."""
    return (w[0] * w[0] - 1) ** 2 + 0.25 * w[0] + w[1] * w[1]


_WELLS_X = np.sort(np.roots([4, 0, -4, 0.25]).real)     # f'(x) = 4x^3 - 4x + 1/4 = 0
LANDSCAPES = {
    # name: (f, title, start, steps (full, quick), box, global min, local min, lrs, SGD noise std)
    "bowl": (bowl, "elongated bowl  f = x²/100 + y²", (-9.0, 1.6), (100, 100), ((-10, 2), (-2, 2)),
             (0.0, 0.0), None,
             dict(GD=0.99, SGD=0.5, Momentum=0.2, Nesterov=0.2, AdaGrad=1.0, AdaDelta=1.0, RMSprop=0.1,
                  Adam=0.5), 0.15),
    "rosenbrock": (rosenbrock, "Rosenbrock function  f = (1 - x)² + 100 (y - x²)²", (-1.5, 2.0), (1500, 600),
                   ((-2, 2), (-1, 3)), (1.0, 1.0), None,
                   dict(GD=1e-3, SGD=1e-3, Momentum=2e-4, Nesterov=2e-4, AdaGrad=0.5, AdaDelta=1.0,
                        RMSprop=0.01, Adam=0.05), 2.0),
    "two-wells": (two_wells, "two wells  f = (x² - 1)² + x/4 + y²", (2.0, 1.0), (150, 150),
                  ((-2, 2.3), (-1.3, 1.3)), (_WELLS_X[0], 0.0), (_WELLS_X[2], 0.0),
                  dict(GD=0.05, SGD=0.05, Momentum=0.02, Nesterov=0.02, AdaGrad=0.5, AdaDelta=1.0,
                       RMSprop=0.05, Adam=0.1), 1.0),
}


def descend(f, start, optimizer, steps, noise=0.0, rng=None):
    """Minimise ``f`` from ``start`` with ``optimizer``; returns the path, shape (steps + 1, 2).

    ``noise`` > 0 adds N(0, noise^2) to each gradient coordinate: the noisy gradient of SGD.
    """
    w = Tensor(np.array(start), requires_grad=True, dtype=np.float64)
    path = [w.data.copy()]
    for _ in range(steps):
        w.zero_grad()
        f(w).backward()                        # w.grad = grad f(w)
        g = w.grad if not noise else w.grad + rng.normal(0.0, noise, size=2)
        optimizer.apply([g], [w])              # the same update as in model.fit
        path.append(w.data.copy())
    return np.array(path)


def zigzag(path, axis=1):
    """How often the step along ``axis`` (1: y, across the bowl's valley) turns back: the number of
    steps t with sign(w[t+1] - w[t]) != sign(w[t] - w[t-1]) (steps of exactly 0 are left out).
    GD with lr above 1/curvature turns back at every step; a smooth path turns back rarely."""
    moves = np.diff(np.asarray(path)[:, axis])
    signs = np.sign(moves[moves != 0])
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


# ----------------------------------------------------------------------------- MNIST
MNIST_LRS = dict(SGD=0.01, Momentum=0.01, Nesterov=0.01, AdaGrad=0.01, AdaDelta=1.0, RMSprop=0.001,
                 Adam=0.001)


def train_mnist(name, lr, data, initial_weights, steps, batch_size, seed):
    """Train the 784-64-10 network from ``initial_weights`` for ``steps`` mini-batches.

    Returns the loss of every mini-batch and the loss on the whole training set at the end.
    Every optimizer sees the same batches in the same order (``seed``).
    """
    (x, y), _ = data
    model = Sequential([layers.Input((784,)), layers.Dense(64, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    model.set_weights(initial_weights)
    model.compile(optimizer=make_optimizer(name, lr), loss="sparse_categorical_crossentropy")
    rng, losses, order = np.random.default_rng(seed), [], np.empty(0, dtype=np.int64)
    for _ in range(steps):
        if len(order) < batch_size:            # a new epoch: a new random order
            order = rng.permutation(len(x))
        batch, order = order[:batch_size], order[batch_size:]
        losses.append(model.train_on_batch(x[batch], y[batch]))
    final = model.evaluate(x, y, batch_size=1000, verbose=0)
    return np.array(losses), float(final)


@experiment("optimizers", "Optimizers: trajectories on 2-D landscapes and a race on MNIST",
            "GD, SGD, Momentum, Nesterov, AdaGrad, AdaDelta, RMSprop, Adam on 3 functions and on MNIST",
            order=4)
def optimizers(lab):
    """The experiment: eight optimizers on three 2-D landscapes, then seven of them on MNIST."""
    for key, (f, title, start, steps, box, best, local, lrs, noise) in LANDSCAPES.items():
        steps = lab.pick(*steps)
        paths = {name: descend(f, start, make_optimizer(name, lrs[name]), steps,
                               noise if name == "SGD" else 0.0, lab.rng) for name in NAMES}
        f_best = float(f(np.array(best)))
        gaps = {name: float(f(path[-1])) - f_best for name, path in paths.items()}
        order = sorted(NAMES, key=gaps.get)
        lab.say(f"{title}, from {start}, {steps} steps: f - f(min) at the end: " +
                ", ".join(f"{name} {gaps[name]:.2g}" for name in order))
        lab.number(f"{key}_gap", gaps)
        lab.number(f"{key}_final_point", {name: path[-1] for name, path in paths.items()})
        if key == "bowl":
            _zigzag_report(lab, paths, best, steps)
            lab.figure("bowl_momentum", _zigzag_figure(f, title, paths, box, best, lrs))
        if local is not None:
            wells = {name: "global" if path[-1][0] < 0 else "local" for name, path in paths.items()}
            lab.say(f"  ended in the global minimum (x = {best[0]:.2f}): "
                    f"{', '.join(n for n in NAMES if wells[n] == 'global') or 'none'}; in the local one "
                    f"(x = {local[0]:.2f}): {', '.join(n for n in NAMES if wells[n] == 'local') or 'none'}")
            lab.number(f"{key}_minimum", wells)
        lab.figure(f"landscape_{key.replace('-', '_')}",
                   _landscape_figure(f, title, paths, box, best, local, lrs, noise, f_best))
        moved = float(np.linalg.norm(paths["AdaDelta"][-1] - paths["AdaDelta"][0]))
        adadelta = make_optimizer("AdaDelta", 1.0)
        lab.say(f"  AdaDelta (lr 1.0) moved {moved:.2g} from the start in {steps} steps: its first step is "
                f"sqrt(epsilon / (1 - rho)) = {np.sqrt(adadelta.epsilon / (1 - adadelta.rho)):.1e} per "
                f"coordinate, and its steps grow only slowly")
        lab.number(f"{key}_adadelta_moved", moved)

    # MNIST: the same network, initial weights and batches for every optimizer.
    n_train, steps, batch_size = lab.pick(20000, 3000), lab.pick(1500, 200), 64
    data = mnist(n_train, 100, seed=lab.seed)      # (the test images are not used here)
    set_random_seed(lab.seed)
    initial = Sequential([layers.Input((784,)), layers.Dense(64, activation="relu"),
                          layers.Dense(10, activation="softmax")]).get_weights()
    curves, final = {}, {}
    for name, lr in MNIST_LRS.items():
        curves[name], final[name] = train_mnist(name, lr, data, initial, steps, batch_size, lab.seed)
    keras_adadelta = train_mnist("AdaDelta", 0.001, data, initial, steps, batch_size, lab.seed)
    ranking = sorted(final, key=final.get)
    lab.say(f"MNIST, 784-64-10 ReLU/softmax network, {steps} steps of {batch_size} images ({n_train} "
            f"training images), training loss after {steps} steps (best first):")
    for i, name in enumerate(ranking, 1):
        lab.say(f"  {i}. {name:9s} lr {MNIST_LRS[name]:<6g} loss {final[name]:.4f}")
    lab.say(f"  (AdaDelta with Keras's default lr 0.001 barely moves: loss {keras_adadelta[1]:.4f}, from "
            f"{keras_adadelta[0][0]:.4f} at the first step; the paper's lr 1.0 is used above)")
    lab.say(f"Adam ends {'below' if final['Adam'] < final['SGD'] else 'ABOVE'} plain SGD: "
            f"{final['Adam']:.4f} vs {final['SGD']:.4f}")
    lab.number("ranking", ranking)
    lab.number("final_loss", final)
    lab.number("learning_rates", MNIST_LRS)
    lab.number("adadelta_keras_default_loss", keras_adadelta[1])
    lab.number("initial_loss", float(np.mean([c[0] for c in curves.values()])))
    lab.figure("mnist", _mnist_figure(curves, final, ranking, keras_adadelta, steps, batch_size))


def _zigzag_report(lab, paths, best, steps):
    """The bowl's lesson in numbers: how often GD and Momentum turn back across the valley, how wide
    they still swing across it in the second half, and how far from the minimum each one ends."""
    turns = lab.number("bowl_zigzag", {name: zigzag(path) for name, path in paths.items()})
    swing = lab.number("bowl_late_swing", {name: float(np.abs(path[steps // 2:, 1]).max())
                                           for name, path in paths.items()})
    distance = lab.number("bowl_distance", {name: float(np.linalg.norm(path[-1] - np.array(best)))
                                            for name, path in paths.items()})
    lab.say(f"  across the valley (y), GD's step turns back {turns['GD']} times in {steps} steps, "
            f"Momentum's {turns['Momentum']} times; in the last {steps - steps // 2} steps |y| still reaches "
            f"{swing['GD']:.2g} for GD, {swing['Momentum']:.2g} for Momentum")
    lab.say(f"  distance to the minimum after {steps} steps: GD {distance['GD']:.2g}, Momentum "
            f"{distance['Momentum']:.2g}, Adam {distance['Adam']:.2g}: Momentum ends "
            f"{'closer to' if distance['Momentum'] < distance['GD'] else 'FARTHER from'} the minimum than GD "
            f"at its best learning rate")


# ---------------------------------------------------------------------------------- figures
def _lr_label(name, lr):
    """Legend text of an optimizer: its name, learning rate and momentum."""
    extra = ", β 0.9" if name in ("Momentum", "Nesterov") else ""
    return f"{name} (lr {lr:g}{extra})"


def _landscape_figure(f, title, paths, box, best, local, lrs, noise, f_best):
    """Paths over the contours of f (left) and f(w) - f(minimum) per step on a log scale (right)."""
    fig = new_figure(14, 5.8)
    ax, ax_gap = fig.subplots(1, 2, width_ratios=[1.25, 1])
    gx, gy = np.meshgrid(np.linspace(*box[0], 300), np.linspace(*box[1], 300))
    z = f(np.stack([gx, gy])) - f_best + 1e-3                   # > 0 for a log colour scale
    levels = np.geomspace(max(z.min(), 1e-3), z.max(), 25)
    ax.contourf(gx, gy, z, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.55)
    ax.contour(gx, gy, z, levels=levels, norm=LogNorm(), colors="0.45", linewidths=0.4)
    for name, path in reversed(paths.items()):         # GD last, on top
        ax.plot(path[:, 0], path[:, 1], ".-", color=COLORS[name], markersize=3, linewidth=1.2,
                label=_lr_label(name, lrs[name]) + (f", noise σ {noise:g}" if name == "SGD" else ""))
    start = next(iter(paths.values()))[0]
    ax.plot(*start, "s", color="black", markersize=9, zorder=5, label="start")
    ax.plot(*best, "*", color="gold", markeredgecolor="black", markersize=18, zorder=5,
            label="global minimum")
    if local is not None:
        ax.plot(*local, "*", color="white", markeredgecolor="black", markersize=15, zorder=5,
                label="local minimum")
    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    ax.set_xlabel("x (first weight)")
    ax.set_ylabel("y (second weight)")
    ax.set_title("Paths over the contours of f (darker = lower)")

    for name, path in paths.items():
        gap = f(path.T) - f_best
        ax_gap.plot(np.arange(len(path)), np.maximum(gap, 1e-10), color=COLORS[name], linewidth=1.4)
    ax_gap.set_yscale("log")
    ax_gap.set_xlim(0, len(path) - 1)
    ax_gap.set_xlabel("step")
    ax_gap.set_ylabel("f(w) - f(global minimum)")
    ax_gap.set_title("Distance to the lowest value, per step")
    if local is not None:
        ax_gap.axhline(float(f(np.array(local))) - f_best, color="black", linestyle=":", linewidth=1)
        ax_gap.text(0.99, float(f(np.array(local))) - f_best, "local minimum ", ha="right", va="top",
                    transform=ax_gap.get_yaxis_transform())
    handles, labels = ax.get_legend_handles_labels()
    order = [i for i, text in enumerate(labels) if text.split()[0] not in NAMES]
    order = [i for n in NAMES for i, text in enumerate(labels) if text.split()[0] == n] + order
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside right center",
               fontsize="small")
    fig.suptitle(f"Optimizers on the {title}", fontsize="x-large", fontweight="bold")
    return fig



def _zigzag_figure(f, title, paths, box, best, lrs):
    """The bowl's lesson with GD and Momentum only: their paths (left), the coordinate across the
    valley per step (middle: GD's flips sign every step) and the distance to the minimum (right)."""
    fig = new_figure(15, 4.8)
    ax, ax_y, ax_d = fig.subplots(1, 3, width_ratios=[1.3, 1, 1])
    gx, gy = np.meshgrid(np.linspace(*box[0], 300), np.linspace(*box[1], 300))
    z = f(np.stack([gx, gy])) + 1e-3
    levels = np.geomspace(z.min(), z.max(), 20)
    ax.contourf(gx, gy, z, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.45)
    ax.contour(gx, gy, z, levels=levels, norm=LogNorm(), colors="0.5", linewidths=0.4)
    for name in ("GD", "Momentum"):
        path, label = paths[name], _lr_label(name, lrs[name])
        steps = np.arange(len(path))
        ax.plot(path[:, 0], path[:, 1], ".-", color=COLORS[name], markersize=3.5, linewidth=1.3, label=label)
        ax_y.plot(steps, path[:, 1], ".-", color=COLORS[name], markersize=3, linewidth=1.1, label=label)
        ax_d.plot(steps, np.maximum(np.linalg.norm(path - np.array(best), axis=1), 1e-12), color=COLORS[name],
                  linewidth=1.6, label=label)
    ax.plot(*paths["GD"][0], "s", color="black", markersize=8, zorder=5, label="start")
    ax.plot(*best, "*", color="gold", markeredgecolor="black", markersize=16, zorder=5, label="minimum")
    ax.set(xlim=box[0], ylim=box[1], xlabel="x (along the valley)", ylabel="y (across the valley)",
           title="Paths: GD zig-zags, Momentum swings and rolls on")
    ax.legend(loc="upper right", fontsize="small")
    ax_y.axhline(0, color="black", linewidth=0.6)
    ax_y.set(xlabel="step", ylabel="y (the steep direction)", title="Across the valley, step by step")
    ax_y.legend(loc="upper right", fontsize="small")
    ax_d.set_yscale("log")
    ax_d.set(xlabel="step", ylabel="distance to the minimum |w - w*|", title="How far from the minimum")
    ax_d.legend(loc="lower left", fontsize="small")
    fig.suptitle(f"The {title}: momentum damps GD's zig-zag and gets to the minimum sooner",
                 fontsize="x-large", fontweight="bold")
    return fig


def _mnist_figure(curves, final, ranking, keras_adadelta, steps, batch_size):
    """Smoothed training loss per step for every optimizer (left) and the final ranking (right)."""
    fig = new_figure(14, 5.4)
    ax, ax_bar = fig.subplots(1, 2, width_ratios=[1.6, 1])
    window = max(5, steps // 50)
    for name, losses in curves.items():
        ax.plot(np.arange(1, steps + 1), moving_average(losses, window), color=COLORS[name], linewidth=1.5,
                label=_lr_label(name, MNIST_LRS[name]))
    ax.plot(np.arange(1, steps + 1), moving_average(keras_adadelta[0], window), ":", color=COLORS["AdaDelta"],
            linewidth=1.5, label="AdaDelta (lr 0.001, Keras default)")
    ax.set_yscale("log")
    ax.set_xlim(1, steps)
    ax.set_xlabel(f"step (mini-batch of {batch_size} images)")
    ax.set_ylabel(f"training loss (cross-entropy, mean of {window} steps)")
    ax.set_title("Training loss per step, same start and batches")
    ax.legend(fontsize="small", loc="upper right", bbox_to_anchor=(1, 0.93), ncols=2)
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))

    pos = np.arange(len(ranking))
    ax_bar.barh(pos, [final[n] for n in ranking], color=[COLORS[n] for n in ranking])
    for i, name in enumerate(ranking):
        ax_bar.text(final[name], i, f" {final[name]:.3f}", va="center")
    ax_bar.set_yticks(pos, [f"{i + 1}. {n}" for i, n in enumerate(ranking)])
    ax_bar.invert_yaxis()
    ax_bar.set_xlim(0, max(final.values()) * 1.25)
    ax_bar.set_xlabel("training-set loss after the last step (cross-entropy)")
    ax_bar.set_ylabel("optimizer, by rank")
    ax_bar.set_title(f"Ranking after {steps} steps (lower is better)")
    fig.suptitle("Optimizers training the same 784-64-10 network on MNIST", fontsize="x-large",
                 fontweight="bold")
    return fig
