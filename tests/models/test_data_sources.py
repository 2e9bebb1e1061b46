"""Batches from elsewhere in ``fit``/``evaluate``/``predict`` (``models/data.py``'s ``batch_source``): a
``Dataset``, a Keras ``PyDataset``/``Sequence``, a generator; ``steps_per_epoch``, validation data,
Keras's refusal of ``batch_size``, the progress bar's length.
"""
import numpy as np
import pytest

from scratchnn import callbacks, keras, optimizers
from scratchnn.models.data import batch_source
from scratchnn.preprocessing import Dataset, PyDataset

from tests.models.helpers import assert_unchanged, assert_weights_close, blobs, mlp, state, twin


def pair(make=mlp):
    a = make()
    b = twin(a, make)
    for m in (a, b):
        m.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy", ["accuracy"])
    return a, b


def test_fit_on_a_dataset_equals_fit_on_the_arrays_without_shuffling():
    x, y = blobs(50)
    ref, model = pair()
    h_ref = ref.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                    validation_data=(x[:20], y[:20]))
    ds = Dataset.from_tensor_slices((x, y)).batch(8)
    h = model.fit(ds, epochs=3, verbose=0,
                  validation_data=Dataset.from_tensor_slices((x[:20], y[:20])).batch(5))
    assert model.optimizer.iterations == ref.optimizer.iterations == 21     # the dataset read every epoch
    assert_weights_close(model, ref)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(h.history[key], h_ref.history[key], rtol=1e-6)
    assert model.evaluate(ds, verbose=0) == pytest.approx(ref.evaluate(x, y, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(Dataset.from_tensor_slices(x).batch(16), verbose=0),
                               ref.predict(x, verbose=0), rtol=1e-6)


def test_sample_weights_from_a_dataset_weight_the_loss():
    x, y = blobs(24)
    w = np.where(np.arange(24) % 2 == 0, 2.0, 0.5).astype(np.float32)
    ref, model = pair()
    ref.fit(x, y, sample_weight=w, batch_size=6, epochs=2, shuffle=False, verbose=0)
    model.fit(Dataset.from_tensor_slices((x, y, w)).batch(6), epochs=2, verbose=0)
    assert_weights_close(model, ref)


def test_a_shuffled_dataset_trains_on_every_sample_in_a_new_order_each_epoch():
    x, y = blobs(40)
    seen = []
    ds = Dataset.from_tensor_slices((np.arange(40).reshape(40, 1), y)).shuffle(40, seed=0).batch(10)
    model = mlp(n_in=1)
    model.compile(optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    model.add_forward_hook(lambda layer, inputs, outputs: seen.append(inputs.data[:, 0].astype(int)))
    model.fit(ds, epochs=2, verbose=0)
    epochs = [np.concatenate(seen[:4]), np.concatenate(seen[4:8])]
    assert all(sorted(e) == list(range(40)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])


def test_steps_per_epoch_on_an_endless_dataset_continues_where_the_last_epoch_stopped():
    data = batch_source(Dataset.range(10).batch(2).repeat(), steps=3)
    first = [xb.tolist() for xb, _, _ in data.batches()]
    second = [xb.tolist() for xb, _, _ in data.batches()]
    assert first == [[0, 1], [2, 3], [4, 5]]
    assert second == [[6, 7], [8, 9], [0, 1]]          # then the dataset starts again


def test_an_endless_dataset_without_steps_is_refused_before_any_step():
    x, y = blobs(16)
    model, _ = pair()
    before = state(model)
    with pytest.raises(ValueError, match=r"fit\(\): the Dataset repeats for ever.*pass steps_per_epoch"):
        model.fit(Dataset.from_tensor_slices((x, y)).batch(4).repeat(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate\(\): the Dataset repeats for ever.*pass steps"):
        model.evaluate(Dataset.from_tensor_slices((x, y)).batch(4).repeat(), verbose=0)
    assert_unchanged(model, before)
    model.fit(Dataset.from_tensor_slices((x, y)).batch(4).repeat(), steps_per_epoch=5, epochs=2, verbose=0)
    assert model.optimizer.iterations == 10


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_batch_size_with_a_dataset_is_refused_as_keras_does(method):
    x, y = blobs(16)
    model, _ = pair()
    before = state(model)
    ds = Dataset.from_tensor_slices((x, y)).batch(4)
    with pytest.raises(ValueError, match=rf"{method}\(\): the batch_size argument must not be given when x "
                                         r"is a Dataset.*got batch_size=4"):
        getattr(model, method)(ds, batch_size=4, verbose=0)
    assert_unchanged(model, before)
    assert model.optimizer.iterations == 0


def test_the_number_of_batches_comes_from_len_when_it_is_known():
    ds = Dataset.from_tensor_slices(np.zeros((10, 2))).batch(4)
    assert batch_source(ds, None).steps == 3
    assert batch_source(ds.filter(lambda v: True), None).steps is None        # unknown length
    assert batch_source((b for b in [np.zeros((2, 2))]), None).steps is None
    x, y = blobs(12)
    model, _ = pair()
    steps = []
    spy = callbacks.LambdaCallback(on_train_begin=lambda logs: steps.append(spy.params["steps"]))
    model.fit(Dataset.from_tensor_slices((x, y)).batch(5), verbose=0, callbacks=[spy])
    assert steps == [3]


class Batches(PyDataset):
    """A Keras 3 PyDataset: batch ``i`` by slicing, counting the epoch hooks."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.begun = self.ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_begin(self):
        self.begun += 1

    def on_epoch_end(self):
        self.ended += 1


def test_fit_on_a_pydataset_equals_fit_on_the_arrays_and_calls_its_epoch_hooks():
    x, y = blobs(30)
    ref, model = pair()
    h_ref = ref.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    batches = Batches(x, y, 8, workers=4, use_multiprocessing=True)
    h = model.fit(batches, epochs=3, verbose=0)
    assert model.optimizer.iterations == 12              # 4 batches an epoch; never an empty batch 5
    assert (batches.begun, batches.ended) == (3, 3)
    assert_weights_close(model, ref)
    np.testing.assert_allclose(h.history["loss"], h_ref.history["loss"], rtol=1e-6)
    assert keras.utils.Sequence is keras.utils.PyDataset is PyDataset


def test_a_pydataset_without_getitem_says_what_to_implement():
    class Empty(PyDataset):
        def __len__(self):
            return 2

    model, _ = pair()
    with pytest.raises(NotImplementedError, match=r"Empty must implement __getitem__\(index\)"):
        model.fit(Empty(), verbose=0)


def test_fit_on_a_generator_of_tensors_with_steps_per_epoch():
    x, y = blobs(32)
    ds = Dataset.from_tensor_slices((x, y)).batch(8)

    def forever():
        while True:
            yield from ds                       # elements as Tensors, as TensorFlow's iterator gives

    ref, model = pair()
    ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model.fit(forever(), steps_per_epoch=4, epochs=2, verbose=0)
    assert_weights_close(model, ref)


def test_a_1d_x_gets_the_feature_axis_of_a_model_whose_input_is_one_feature():
    """The course's first program: Dense(1, input_shape=[1]) fit on a 1-D x (Keras 3 adds the axis)."""
    xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    ys = 2 * xs - 1

    def line():
        from scratchnn.utils import set_random_seed
        set_random_seed(0)
        model = keras.Sequential([keras.layers.Dense(units=1, input_shape=[1])])
        model.compile(optimizer="sgd", loss="mean_squared_error")
        return model

    flat, column = line(), line()
    flat.fit(xs, ys, epochs=20, verbose=0)
    column.fit(xs.reshape(-1, 1), ys, epochs=20, verbose=0)
    assert_weights_close(flat, column)
    assert flat.predict([10.0], verbose=0).shape == (1, 1)
    np.testing.assert_allclose(flat.predict([10.0], verbose=0), column.predict(np.array([[10.0]]), verbose=0))
    assert flat.evaluate(xs, ys, verbose=0) == pytest.approx(column.evaluate(xs[:, None], ys, verbose=0))
    ds = Dataset.from_tensor_slices((xs, ys)).batch(3)
    assert flat.evaluate(ds, verbose=0) == pytest.approx(column.evaluate(xs[:, None], ys, verbose=0))


def test_a_1d_x_for_several_features_is_still_refused():
    x, y = blobs(8)
    model, _ = pair()
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\)"):
        model.fit(x[:, 0], y, verbose=0)


def test_class_weight_weighs_the_batches_of_a_dataset_as_it_weighs_arrays():
    x, y = blobs(30)
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    ref, model = pair()
    _, plain = pair()
    ref.fit(x, y, batch_size=10, epochs=2, shuffle=False, class_weight=weights, verbose=0)
    model.fit(Dataset.from_tensor_slices((x, y)).batch(10), epochs=2, class_weight=weights, verbose=0)
    plain.fit(Dataset.from_tensor_slices((x, y)).batch(10), epochs=2, verbose=0)
    assert_weights_close(model, ref)
    assert not np.allclose(plain.get_weights()[0], model.get_weights()[0])


def test_a_float_steps_per_epoch_is_rounded_up_as_tf_keras_2_did():
    """2020-era notebooks write ``fit(datagen.flow(x, y, batch_size=32), steps_per_epoch=len(x) / 32)``."""
    from scratchnn import keras
    x = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    seen = []
    model.fit(x, y, batch_size=16, epochs=1, steps_per_epoch=len(x) / 32, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))])
    assert seen == [0, 1]                       # ceil(50 / 32) = 2 steps


def test_batch_size_with_a_py_dataset_is_ignored_as_keras_3_does():
    """keras.io's built-in training guide calls ``fit(py_dataset, batch_size=64, ...)``: the
    PyDataset's own batches are used."""
    from scratchnn.keras.utils import PyDataset

    x, y = blobs(16)

    class Batches(PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[4 * i:4 * i + 4], y[4 * i:4 * i + 4]

    model, _ = pair()
    model.fit(Batches(), batch_size=64, epochs=1, verbose=0)
    assert model.optimizer.iterations == 4
