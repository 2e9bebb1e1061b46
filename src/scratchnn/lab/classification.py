"""Classification: recipes 2 and 3, binary (sigmoid + binary cross-entropy) and multi-class
(softmax + categorical cross-entropy).

Recipe 1 (``regression.py``) ends in a linear unit trained with the mean squared error. To
classify, the output becomes a probability and the loss the cross-entropy, -log of the
probability given to the true class:

* **two classes** (breast cancer: malignant 0 or benign 1): one output unit with the sigmoid,
  ``p = sigmoid(z) = 1 / (1 + exp(-z))`` = P(class 1), and the binary cross-entropy

      BCE = -(1/N) * sum_i [ y_i * log(p_i) + (1 - y_i) * log(1 - p_i) ]

  predict class 1 when ``p > 0.5``;
* **K classes** (Fashion-MNIST: ten garments): K output units with the softmax,
  ``p_k = exp(z_k) / sum_j exp(z_j)`` (they sum to 1), and the categorical cross-entropy with
  one-hot targets

      CCE = -(1/N) * sum_i sum_k y_ik * log(p_ik) = -(1/N) * sum_i log(p_i[true class])

  (``sparse_categorical_crossentropy`` is the same loss given integer labels instead of one-hot
  rows); predict the class with the largest probability.

Accuracy alone hides *which* mistakes a classifier makes. The confusion matrix counts them (row =
true class, column = predicted), and per class (TP = true positives, FP, FN):

    precision = TP / (TP + FP)      recall = TP / (TP + FN)
    F1 = 2 * precision * recall / (precision + recall)       (their harmonic mean)

For the cancer data the number that matters most is the recall of *malignant*: the fraction of
cancers the model finds. For the garments, look at the dark cells off the diagonal: shirts,
T-shirts, pullovers and coats are confused with one another, trousers and bags almost never.
"""
import numpy as np

from .. import layers, optimizers, plot
from ..datasets import load_breast_cancer
from ..datasets.fashion_mnist import CLASS_NAMES as FASHION_CLASSES
from ..metrics import classification_report, precision_recall_f1
from ..models import Sequential
from ..preprocessing import StandardScaler, one_hot, train_test_split

from ._core import experiment
from ._data import mnist


@experiment("binary", "Recipe 2, binary classification: sigmoid + binary cross-entropy",
            "an MLP tells malignant from benign tumours (breast cancer data); confusion matrix, "
            "precision, recall and F1", order=12)
def binary(lab):
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(data.x, data.y, test_size=0.2, random_state=lab.seed,
                                                        stratify=data.y)
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

    model = Sequential([layers.Input((x_train.shape[1],)),
                        layers.Dense(16, activation="relu"),
                        layers.Dense(1, activation="sigmoid")])      # P(benign)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    epochs = lab.pick(50, 30)
    history = model.fit(x_train, y_train, batch_size=16, epochs=epochs, validation_split=0.2, verbose=0)
    lab.say(f"recipe: output Dense(1, activation='sigmoid') = P(benign), loss binary cross-entropy, "
            f"predict benign when P > 0.5; MLP 30-16-1, Adam(lr=0.001), batch 16, {epochs} epochs; "
            f"{len(x_train)} training tumours (20% of them held out for validation), "
            f"{len(x_test)} test tumours")

    probability = model.predict(x_test, verbose=0)[:, 0]
    y_pred = (probability > 0.5).astype(np.int64)
    accuracy = lab.number("test_accuracy", float(np.mean(y_pred == y_test)))
    majority = int(np.bincount(y_train).argmax())
    baseline = lab.number("majority_baseline_accuracy", float(np.mean(y_test == majority)))
    precision, recall, f1, support = precision_recall_f1(y_test, y_pred, labels=[0, 1])
    names = data.target_names                                     # ["malignant", "benign"]
    lab.number("precision", dict(zip(names, precision)))
    lab.number("recall", dict(zip(names, recall)))
    lab.number("f1", dict(zip(names, f1)))
    counts = np.array([[np.sum((y_test == t) & (y_pred == p)) for p in (0, 1)] for t in (0, 1)])
    lab.number("confusion_matrix", counts)
    lab.say(f"test accuracy {accuracy:.4f}; always answering '{names[majority]}' would score {baseline:.4f}")
    lab.say(f"malignant: precision {precision[0]:.3f}, recall {recall[0]:.3f} "
            f"(it found {counts[0, 0]} of the {support[0]} cancers, missed {counts[0, 1]}), F1 {f1[0]:.3f}")
    lab.say(f"benign: precision {precision[1]:.3f}, recall {recall[1]:.3f}, F1 {f1[1]:.3f}")
    lab.say("")
    report = classification_report(y_test, y_pred, labels=[0, 1], target_names=names, digits=3)
    for line in report.splitlines():
        lab.say(line)

    lab.figure("learning_curves", plot.learning_curves(
        history, title="Breast cancer, sigmoid + binary cross-entropy: learning curves"))
    lab.figure("confusion_matrix", plot.confusion_matrix(
        y_test, y_pred, labels=names, title="Breast cancer test set: which tumours the model gets wrong"))


@experiment("multiclass", "Recipe 3, multi-class classification: softmax + categorical cross-entropy",
            "an MLP sorts Fashion-MNIST images into ten garments; the confusion matrix shows which "
            "ones it mixes up", order=13)
def multiclass(lab):
    n_train = lab.pick(None, 5000)                     # None: all 60000 training images
    (x_train, y_train), (x_test, y_test) = mnist(n_train=n_train, n_test=lab.pick(None, 2000), seed=lab.seed,
                                                 name="fashion_mnist")
    model = Sequential([layers.Input((784,)),
                        layers.Dense(128, activation="relu"),
                        layers.Dense(10, activation="softmax")])     # ten probabilities, summing to 1
    model.compile(optimizer=optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    epochs = lab.pick(10, 3)
    history = model.fit(x_train, one_hot(y_train, 10), batch_size=32, epochs=epochs, validation_split=0.1,
                        verbose=0)
    lab.say(f"recipe: output Dense(10, activation='softmax'), loss categorical cross-entropy on one-hot "
            f"labels, predict the most probable class; MLP 784-128-10, Adam(lr=0.001), batch 32, {epochs} "
            f"epochs; {len(x_train)} training images (10% held out for validation), "
            f"{len(x_test)} test images")

    y_pred = model.predict(x_test, verbose=0).argmax(axis=1)
    accuracy = lab.number("test_accuracy", float(np.mean(y_pred == y_test)))
    lab.say(f"test accuracy {accuracy:.4f} (chance: 0.10)")
    precision, recall, f1, _ = precision_recall_f1(y_test, y_pred, labels=list(range(10)))
    lab.number("recall", dict(zip(FASHION_CLASSES, recall)))
    lab.number("f1", dict(zip(FASHION_CLASSES, f1)))
    order = np.argsort(recall)
    lab.number("hardest_class", FASHION_CLASSES[order[0]])
    lab.number("easiest_class", FASHION_CLASSES[order[-1]])
    lab.say(f"hardest garment: {FASHION_CLASSES[order[0]]} (recall {recall[order[0]]:.3f}); easiest: "
            f"{FASHION_CLASSES[order[-1]]} (recall {recall[order[-1]]:.3f})")
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (y_test, y_pred), 1)
    off = counts.copy()
    np.fill_diagonal(off, 0)
    true, pred = np.unravel_index(np.argmax(off), off.shape)
    lab.number("most_confused", [FASHION_CLASSES[true], FASHION_CLASSES[pred], int(off[true, pred])])
    lab.say(f"most frequent mistake: {off[true, pred]} {FASHION_CLASSES[true]} images taken for "
            f"{FASHION_CLASSES[pred]} ({100 * off[true, pred] / counts[true].sum():.0f}% of that class)")
    lab.say("")
    for line in classification_report(y_test, y_pred, labels=list(range(10)), target_names=FASHION_CLASSES,
                                      digits=3).splitlines():
        lab.say(line)

    lab.figure("learning_curves", plot.learning_curves(
        history, title="Fashion-MNIST, softmax + categorical cross-entropy: learning curves"))
    lab.figure("confusion_matrix", plot.confusion_matrix(
        y_test, y_pred, labels=FASHION_CLASSES, title="Fashion-MNIST test set: which garments are confused"))
