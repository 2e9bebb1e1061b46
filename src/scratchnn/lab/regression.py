"""Regression: a linear output and the mean squared error, on the diabetes data.

The first of the course's three recipes (the other two are in ``classification.py``). To predict
a number, the last layer has one unit and *no* activation (a linear output, any real value), and
the loss is the mean squared error over the N examples of a batch:

    MSE = (1/N) * sum_i (y_pred_i - y_i)**2

The diabetes data (442 patients, 10 measurements, a disease-progression score one year later) is
split 80/20 into training and test sets; the features *and the target* are standardised with the
training set's mean and standard deviation (a target in the hundreds would need tiny learning
rates), and the predictions are mapped back to the score's units for the numbers below.

How good is good? Compare with the trivial model that always predicts the training mean. The
coefficient of determination says how much of the test variance the model explains:

    R^2 = 1 - sum_i (y_i - y_pred_i)**2 / sum_i (y_i - mean(y))**2

(1 = perfect, 0 = no better than predicting the mean). On this data a good model reaches only
about 0.5: the ten measurements do not determine the outcome. The predicted-vs-true scatter shows
it: the points follow the diagonal, widely spread. A network with one hidden layer is compared with
``Dense(1)`` alone, which *is* linear regression: here the hidden layer buys little or nothing.
"""
import numpy as np

from .. import layers, optimizers, regularizers
from ..datasets import load_diabetes
from ..models import Sequential
from ..plot.figure import TRAIN_COLOR, VAL_COLOR, new_figure
from ..preprocessing import StandardScaler, train_test_split

from ._core import experiment

LINEAR_COLOR = "#2ca02c"


def r2_score(y_true, y_pred):
    """Coefficient of determination ``1 - SS_res / SS_tot`` (scikit-learn's ``r2_score``)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    return 1.0 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)


def build(hidden):
    """``hidden`` ReLU units (with an L2 penalty 0.01 * sum(W**2)) then Dense(1) with no activation,
    trained with Adam(lr=0.001); ``hidden=0``: Dense(1) alone, i.e. linear regression
    ``y = x . w + b`` trained by gradient descent (its loss is a convex bowl: it takes lr=0.01)."""
    stack = [layers.Input((10,))]
    if hidden:
        stack.append(layers.Dense(hidden, activation="relu", kernel_regularizer=regularizers.L2(0.01)))
    stack.append(layers.Dense(1))                                   # linear output: any real number
    model = Sequential(stack)
    model.compile(optimizer=optimizers.Adam(1e-3 if hidden else 1e-2), loss="mse")
    return model


@experiment("regression", "Recipe 1, regression: linear output + mean squared error",
            "an MLP and a linear model predict disease progression (diabetes data); test MSE and R^2 "
            "against predicting the mean", order=11)
def regression(lab):
    data = load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(data.x, data.y, test_size=0.2, random_state=lab.seed)
    x_scaler = StandardScaler().fit(x_train)
    y_scaler = StandardScaler().fit(y_train.reshape(-1, 1))
    x_train_s, x_test_s = x_scaler.transform(x_train), x_scaler.transform(x_test)
    y_train_s = y_scaler.transform(y_train.reshape(-1, 1))
    epochs = 100                                    # the data is small: the quick run is the full run
    lab.say(f"recipe: output Dense(1) with no activation (linear), loss mean squared error, Adam, "
            f"batch 32, {epochs} epochs; {len(x_train)} training patients (20% of them held out for the "
            f"validation curve), {len(x_test)} test patients")

    models = {"MLP 10-16-1": build(16), "linear 10-1": build(0)}
    histories, predictions, mse, r2 = {}, {}, {}, {}
    for name, model in models.items():
        histories[name] = model.fit(x_train_s, y_train_s, batch_size=32, epochs=epochs, validation_split=0.2,
                                    verbose=0).history
        predictions[name] = y_scaler.inverse_transform(model.predict(x_test_s, verbose=0))[:, 0]
        mse[name] = float(np.mean((predictions[name] - y_test) ** 2))
        r2[name] = float(r2_score(y_test, predictions[name]))
    mean_pred = np.full_like(y_test, y_train.mean())
    mse["predict the mean"] = float(np.mean((mean_pred - y_test) ** 2))
    r2["predict the mean"] = float(r2_score(y_test, mean_pred))
    lab.number("test_mse", mse)
    lab.number("test_r2", r2)
    lab.number("test_mae", float(np.mean(np.abs(predictions["MLP 10-16-1"] - y_test))))

    lab.say("")
    lab.say(f"{'model':<18} {'test MSE':>9} {'RMSE':>6} {'R^2':>7}")
    for name in mse:
        lab.say(f"{name:<18} {mse[name]:>9.0f} {np.sqrt(mse[name]):>6.1f} {r2[name]:>7.3f}")
    lab.say("")
    gain = 100 * (1 - mse["MLP 10-16-1"] / mse["predict the mean"])
    lab.say(f"the MLP explains {100 * r2['MLP 10-16-1']:.0f}% of the test variance "
            f"(R^2 {r2['MLP 10-16-1']:.3f}); "
            f"its MSE is {gain:.0f}% lower than that of predicting the training mean ({y_train.mean():.1f}) "
            f"for everyone")
    difference = r2["MLP 10-16-1"] - r2["linear 10-1"]
    closer = ("about as good as" if abs(difference) < 0.03 else "better than" if difference > 0 else
              "worse than")
    lab.say(f"the hidden layer is {closer} the linear model here (R^2 {r2['MLP 10-16-1']:.3f} vs "
            f"{r2['linear 10-1']:.3f}): on this data the outcome is roughly a linear function of the "
            f"measurements plus much noise")

    scale = float(y_scaler.scale_[0]) ** 2          # MSE of the standardised target -> score units^2
    lab.figure("regression", _figure(histories, predictions, scale, y_test, y_train.mean(), mse, r2))


def _figure(histories, predictions, scale, y_true, mean, mse, r2):
    """Learning curves (MSE in the target's units) and the predicted-vs-true scatter of the test set."""
    fig = new_figure(11.0, 4.8)
    fig.suptitle("Regression on the diabetes data: linear output, mean squared error", fontweight="bold")
    ax_curve, ax_scatter = fig.subplots(1, 2)
    mlp, linear = histories
    epochs = np.arange(1, len(histories[mlp]["loss"]) + 1)
    ax_curve.plot(epochs, np.array(histories[mlp]["loss"]) * scale, color=TRAIN_COLOR,
                  label=f"{mlp}: training (MSE + L2 penalty)")
    ax_curve.plot(epochs, np.array(histories[mlp]["val_loss"]) * scale, color=VAL_COLOR,
                  label=f"{mlp}: validation (MSE + L2 penalty)")
    ax_curve.plot(epochs, np.array(histories[linear]["val_loss"]) * scale, color=LINEAR_COLOR,
                  linestyle="--", label=f"{linear}: validation")
    ax_curve.axhline(mse["predict the mean"], color="gray", linestyle=":", label="predicting the mean (test)")
    ax_curve.set(title="learning curves", xlabel="epoch", ylabel="mean squared error (score points²)")
    ax_curve.set_ylim(0, 1.3 * mse["predict the mean"])
    ax_curve.legend(loc="upper right", fontsize="small")

    low = min(y_true.min(), *(p.min() for p in predictions.values()))
    high = max(y_true.max(), *(p.max() for p in predictions.values()))
    ax_scatter.plot([low, high], [low, high], color="black", linewidth=1, label="perfect: predicted = true")
    ax_scatter.axhline(mean, color="gray", linestyle=":", label=f"predicting the mean ({mean:.0f})")
    ax_scatter.scatter(y_true, predictions[mlp], s=16, color=TRAIN_COLOR, alpha=0.8,
                       label=f"{mlp}: R² {r2[mlp]:.2f}")
    ax_scatter.scatter(y_true, predictions[linear], s=22, marker="x", color=LINEAR_COLOR, alpha=0.8,
                       label=f"{linear}: R² {r2[linear]:.2f}")
    ax_scatter.set(title="test patients: predicted against true", xlabel="true disease progression (score)",
                   ylabel="predicted disease progression (score)")
    ax_scatter.set_aspect("equal", adjustable="datalim")
    ax_scatter.legend(loc="upper left", fontsize="small")
    return fig
