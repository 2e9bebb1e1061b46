"""Overfitting: a large network memorises a small training set, and three ways to stop it.

A multilayer perceptron with two hidden layers of 512 units has about 670,000 weights; given only
1000 MNIST images it can learn every one of them by heart. Watch the learning curves: the
training loss keeps falling towards 0, while the validation loss (images the network never
trains on) reaches a minimum after a few epochs and then *turns up*. From that epoch on, the
network gets more confident on its training images and more confidently wrong on new ones:

    generalisation gap = validation loss - training loss        (grows while the model overfits)

Three remedies, each trained from the same initial weights on the same batches (the dropout
model's only in the first epoch: its masks are drawn from the generator that also shuffles):

* **Dropout** (``layers.Dropout(0.2)`` on the inputs, ``layers.Dropout(0.5)`` after each hidden
  layer, the recipe of Srivastava et al., 2014): during training each pixel is dropped with
  probability 0.2 and each hidden unit with probability 0.5, so no unit can rely on a few others;
* **L2 weight decay** (``kernel_regularizer=regularizers.L2(lam)``): the loss becomes
  ``cross-entropy + lam * sum(W**2)``, which pulls every weight towards 0 (smaller weights, a
  smoother function);
* **Early stopping** (``callbacks.EarlyStopping(patience=5, restore_best_weights=True)``): stop
  when the validation loss has not improved for 5 epochs and keep the weights of its best epoch.

The validation loss compared here is the cross-entropy alone, measured after every epoch (the
L2 model's ``val_loss`` would also include its penalty). The report states, for each model, the
final validation loss and the test accuracy, and whether the remedy helped at this size. Loss and
accuracy need not agree: past the turning point the plain model may still get a few more images
right while growing overconfident on those it gets wrong, which the loss punishes and the
accuracy does not see.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import callbacks, layers, losses, optimizers, regularizers
from ..models import Sequential
from ..plot.figure import TRAIN_COLOR, VAL_COLOR, new_figure
from ..utils import set_random_seed

from ._core import experiment
from ._data import mnist

COLORS = {"plain": "#555555", "dropout": "#1f77b4", "L2": "#2ca02c", "early stopping": "#d62728"}


def build(dropout=False, l2=0.0, width=512):
    """The large MLP: 784 -> width -> width -> 10, optionally with dropout (0.2 on the inputs, 0.5
    on the hidden units) or with the L2 penalty ``l2 * sum(W**2)`` on each hidden kernel."""
    stack = [layers.Input((784,))]
    if dropout:
        stack.append(layers.Dropout(0.2))
    for _ in range(2):
        stack.append(layers.Dense(width, activation="relu",
                                  kernel_regularizer=regularizers.L2(l2) if l2 else None))
        if dropout:
            stack.append(layers.Dropout(0.5))
    stack.append(layers.Dense(10, activation="softmax"))
    model = Sequential(stack)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def record_val_loss(model, x_val, y_val, values):
    """A callback that appends the validation cross-entropy (without any penalty) to ``values``
    after every epoch."""
    cross_entropy = losses.SparseCategoricalCrossentropy()

    def on_epoch_end(epoch, logs):
        values.append(float(cross_entropy(y_val, model.predict(x_val, verbose=0)).item()))
    return callbacks.LambdaCallback(on_epoch_end=on_epoch_end)


@experiment("overfitting", "Overfitting: the validation loss turns up, and three remedies",
            "a large MLP on 1000 MNIST images; dropout, L2 and early stopping compared", order=6)
def overfitting(lab):
    n_train = lab.pick(1000, 500)
    epochs = lab.pick(60, 20)
    width = lab.pick(512, 256)
    l2 = lab.pick(3e-4, 1e-3)
    (x, y), (x_test, y_test) = mnist(n_train=2 * n_train, n_test=lab.pick(5000, 1000), seed=lab.seed)
    x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    lab.say(f"{n_train} training images, {n_train} validation images, {len(x_test)} test images; "
            f"MLP 784-{width}-{width}-10, Adam(lr=0.001), batch 32, up to {epochs} epochs")
    cross_entropy = losses.SparseCategoricalCrossentropy()

    setups = {"plain": ({}, []),
              "dropout": ({"dropout": True}, []),
              "L2": ({"l2": l2}, []),
              "early stopping": ({}, [callbacks.EarlyStopping(patience=5, restore_best_weights=True)])}
    curves, histories, final_val, test_acc = {}, {}, {}, {}
    for name, (options, extra) in setups.items():
        set_random_seed(lab.seed)          # same initial weights (and batches, but for dropout)
        model = build(width=width, **options)
        val_ce = []
        record = record_val_loss(model, x_val, y_val, val_ce)
        history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0,
                            validation_data=(x_val, y_val), callbacks=extra + [record])
        curves[name], histories[name] = np.array(val_ce), history
        final_val[name] = float(cross_entropy(y_val, model.predict(x_val, verbose=0)).item())
        test_acc[name] = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))
        if name == "early stopping":
            stopper = extra[0]
            lab.number("early_stopping_epochs_run", len(val_ce))
            lab.number("early_stopping_restored_epoch", stopper.best_epoch + 1)

    # The plain model: where does the validation loss turn up, and how far does it rise?
    plain = curves["plain"]
    best = int(np.argmin(plain))
    rise = lab.number("val_loss_rise", float(plain[-1] - plain[best]))
    lab.number("plain_min_val_loss", float(plain[best]))
    lab.number("plain_min_epoch", best + 1)
    lab.number("plain_final_val_loss", float(plain[-1]))
    lab.number("plain_final_train_loss", float(histories["plain"].history["loss"][-1]))
    lab.say(f"plain: training loss falls to {histories['plain'].history['loss'][-1]:.2g}, validation loss is "
            f"lowest at epoch {best + 1} ({plain[best]:.3f}) and ends at {plain[-1]:.3f}: it rose by "
            f"{rise:.3f} ({100 * rise / plain[best]:.0f}%) while the network memorised the training set")
    lab.say(f"early stopping ran {len(curves['early stopping'])} epochs and restored the weights of "
            f"epoch {lab.numbers['early_stopping_restored_epoch']}")

    lab.number("final_val_loss", final_val)
    lab.number("best_val_loss", {name: float(values.min()) for name, values in curves.items()})
    lab.number("test_accuracy", test_acc)
    lab.say("")
    lab.say(f"{'model':<15} {'best val loss':>14} {'final val loss':>15} {'test accuracy':>14}")
    for name in setups:
        lab.say(f"{name:<15} {curves[name].min():>14.3f} {final_val[name]:>15.3f} {test_acc[name]:>14.4f}")
    lab.say("(final = the weights the model ends with: early stopping's are those of its best epoch)")
    lab.say("")
    helped = {}
    for name in ("dropout", "L2", "early stopping"):
        lower = final_val[name] < final_val["plain"]
        better = test_acc[name] > test_acc["plain"]
        helped[name] = bool(lower or better)
        verdict = {(True, True): "helped: lower final validation loss and higher test accuracy",
                   (True, False): "helped the validation loss, not the test accuracy",
                   (False, True): "helped the test accuracy, not the final validation loss",
                   (False, False): "did not help at this size (neither a lower final validation loss "
                                   "nor a higher test accuracy)"}[lower, better]
        lab.say(f"{name}: {verdict}; final val loss {final_val[name]:.3f} vs plain {final_val['plain']:.3f}, "
                f"test accuracy {test_acc[name]:.4f} vs plain {test_acc['plain']:.4f}")
    lab.number("remedy_helped", helped)

    lab.figure("learning_curves", _plain_curves(histories["plain"].history, plain, n_train, width))
    lab.figure("remedies", _remedies(curves, test_acc, lab.numbers["early_stopping_restored_epoch"]))


def _plain_curves(history, val_ce, n_train, width):
    """Training vs validation loss and accuracy of the plain model, the turning point marked."""
    fig = new_figure(10.5, 4.0)
    fig.suptitle(f"Overfitting: a 784-{width}-{width}-10 MLP on {n_train} MNIST images (no regularisation)",
                 fontweight="bold")
    epochs = np.arange(1, len(val_ce) + 1)
    best = int(np.argmin(val_ce))
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, history["loss"], color=TRAIN_COLOR, label="training")
    ax_loss.plot(epochs, val_ce, color=VAL_COLOR, label="validation")
    ax_loss.axvspan(best + 1, epochs[-1], color=VAL_COLOR, alpha=0.08, label="overfitting (val loss rises)")
    ax_loss.plot(best + 1, val_ce[best], "*", color="black", markersize=13,
                 label=f"minimum val loss {val_ce[best]:.3f} (epoch {best + 1})")
    ax_loss.set(title="loss: the validation loss turns up", xlabel="epoch",
                ylabel="cross-entropy loss (nats per image)")
    ax_loss.set_ylim(bottom=0)
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_loss.legend(loc="upper right", fontsize="small")
    ax_acc.plot(epochs, history["accuracy"], color=TRAIN_COLOR, label="training")
    ax_acc.plot(epochs, history["val_accuracy"], color=VAL_COLOR, label="validation")
    ax_acc.axvline(best + 1, color="black", linestyle=":", label=f"epoch {best + 1} (min val loss)")
    ax_acc.set(title="accuracy: training reaches 100%", xlabel="epoch", ylabel="accuracy (fraction correct)")
    ax_acc.legend(loc="lower right", fontsize="small")
    return fig


def _remedies(curves, test_acc, restored_epoch):
    """Left: validation loss per epoch of the four models; right: their test accuracies."""
    fig = new_figure(11.0, 4.2)
    fig.suptitle("Remedies for overfitting: same network, same data, same initial weights",
                 fontweight="bold")
    ax_val, ax_acc = fig.subplots(1, 2, width_ratios=[1.6, 1])
    # Early stopping follows the plain model exactly until it stops: drawn wide and pale underneath.
    for name in ["early stopping"] + [n for n in curves if n != "early stopping"]:
        values = curves[name]
        wide = name == "early stopping"
        ax_val.plot(np.arange(1, len(values) + 1), values, color=COLORS[name], label=name,
                    linewidth=6 if wide else 1.6, alpha=0.45 if wide else 1.0, zorder=1 if wide else 2)
    ax_val.plot(restored_epoch, curves["early stopping"][restored_epoch - 1], "*",
                color=COLORS["early stopping"], markersize=13,
                label=f"weights kept by early stopping (epoch {restored_epoch})")
    bottom = min(float(v.min()) for v in curves.values())
    ax_val.set_ylim(0.9 * bottom, 1.8 * bottom)      # the first epochs' high losses are off the top
    ax_val.set(title="validation loss per epoch (first epochs off the top)", xlabel="epoch",
               ylabel="validation cross-entropy (nats per image)")
    ax_val.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_val.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize="small", ncol=3)
    names = list(test_acc)
    values = np.array([test_acc[n] for n in names])
    bars = ax_acc.barh(names[::-1], values[::-1], color=[COLORS[n] for n in names[::-1]])
    ax_acc.bar_label(bars, labels=[f"{v:.2%}" for v in values[::-1]], padding=3)
    low = max(0.0, values.min() - 0.04)
    ax_acc.set_xlim(low, min(1.0, values.max() + 0.03))
    ax_acc.set(title="test accuracy after training", xlabel="test accuracy (fraction correct)")
    return fig
