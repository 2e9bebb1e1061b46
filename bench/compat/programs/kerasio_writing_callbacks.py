"""Corpus program: keras.io guide "Writing your own callbacks".

Source: https://keras.io/guides/writing_your_own_callbacks/
        (keras-team/keras-io, guides/writing_your_own_callbacks.py)
What it exercises: a Sequential of one Dense(1) regressing MNIST digits with RMSprop(0.1) and
mean_absolute_error as a metric; a callback overriding every hook (train/test/predict,
epoch, batch) and reading logs' keys; fit/evaluate/predict with callbacks=; logs["loss"] and
logs["mean_absolute_error"] per batch and epoch; early stopping written by hand with
get_weights/set_weights and self.model.stop_training; a learning-rate schedule callback that
reads self.model.optimizer.learning_rate and assigns a float to it.
Written for this corpus in scratchnn's own words, following the guide's API calls and
settings one for one. Adaptations: none.
"""
import keras
import numpy as np


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                  loss="mean_squared_error", metrics=["mean_absolute_error"])
    return model


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
x_train, y_train = x_train[:1000], y_train[:1000]
x_test, y_test = x_test[:1000], y_test[:1000]


class EveryHook(keras.callbacks.Callback):
    def _say(self, what, logs):
        print(f"{what}; got log keys: {list((logs or {}).keys())}")

    def on_train_begin(self, logs=None):
        self._say("Starting training", logs)

    def on_train_end(self, logs=None):
        self._say("Stop training", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._say(f"Start epoch {epoch} of training", logs)

    def on_epoch_end(self, epoch, logs=None):
        self._say(f"End epoch {epoch} of training", logs)

    def on_test_begin(self, logs=None):
        self._say("Start testing", logs)

    def on_test_end(self, logs=None):
        self._say("Stop testing", logs)

    def on_predict_begin(self, logs=None):
        self._say("Start predicting", logs)

    def on_predict_end(self, logs=None):
        self._say("Stop predicting", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._say(f"...Training: start of batch {batch}", logs)

    def on_train_batch_end(self, batch, logs=None):
        self._say(f"...Training: end of batch {batch}", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._say(f"...Evaluating: start of batch {batch}", logs)

    def on_test_batch_end(self, batch, logs=None):
        self._say(f"...Evaluating: end of batch {batch}", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._say(f"...Predicting: start of batch {batch}", logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._say(f"...Predicting: end of batch {batch}", logs)


model = get_model()
model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
          callbacks=[EveryHook()])
res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[EveryHook()])
res = model.predict(x_test, batch_size=128, callbacks=[EveryHook()])


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print(f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}.")

    def on_test_batch_end(self, batch, logs=None):
        print(f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}.")

    def on_epoch_end(self, epoch, logs=None):
        print(f"The average loss for epoch {epoch} is {logs['loss']:7.2f} "
              f"and mean absolute error is {logs['mean_absolute_error']:7.2f}.")


model = get_model()
model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0, callbacks=[LossAndErrorPrintingCallback()])
res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[LossAndErrorPrintingCallback()])


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                print("Restoring model weights from the end of the best epoch.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


model = get_model()
model.fit(x_train, y_train, batch_size=64, epochs=30, verbose=0,
          callbacks=[LossAndErrorPrintingCallback(), EarlyStoppingAtMinLoss()])


class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr
        print(f"\nEpoch {epoch}: Learning rate is {float(np.array(scheduled_lr))}.")


LR_SCHEDULE = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]


def lr_schedule(epoch, lr):
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for start, rate in LR_SCHEDULE:
        if epoch == start:
            return rate
    return lr


model = get_model()
model.fit(x_train, y_train, batch_size=64, epochs=15, verbose=0,
          callbacks=[LossAndErrorPrintingCallback(), CustomLearningRateScheduler(lr_schedule)])
