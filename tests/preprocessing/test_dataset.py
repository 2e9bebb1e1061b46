"""``scratchnn/preprocessing/dataset.py`` (and its engine ``dataset_nodes.py``): the elements, order and
counts of a small ``tf.data.Dataset`` against TensorFlow's documented behaviour: ``batch`` and
``drop_remainder``, ``shuffle``'s buffer and seeds, ``cache``, ``take``/``skip``/``repeat``,
``map``/``filter``, ``zip``/``enumerate``/``concatenate``, cardinality and ``element_spec``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn.autograd import Tensor
from scratchnn.compat.tf_data import data
from scratchnn.preprocessing import Dataset
from scratchnn.preprocessing.dataset_shuffle import buffered_shuffle, reservoir_order
from scratchnn.utils import set_random_seed


def values(ds):
    return [np.asarray(e).tolist() for e in ds.as_numpy_iterator()]


# ----------------------------------------------------------------------------- sources and elements
def test_from_tensor_slices_gives_rows_of_each_component_as_tensors_keeping_dtypes():
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    y = np.arange(6, dtype=np.int32)
    elements = list(Dataset.from_tensor_slices((x, y)))
    assert len(elements) == 6
    xe, ye = elements[4]
    assert isinstance(xe, Tensor) and isinstance(ye, Tensor)
    np.testing.assert_array_equal(xe.numpy(), x[4])
    assert xe.numpy().dtype == np.float64 and ye.numpy().dtype == np.int32   # as TensorFlow: no cast
    assert int(ye) == 4


def test_dict_elements_and_a_list_is_one_array():
    ds = Dataset.from_tensor_slices({"a": np.arange(3), "b": np.arange(3) * 10})
    assert [{k: int(v) for k, v in e.items()} for e in ds.as_numpy_iterator()] == [
        {"a": 0, "b": 0}, {"a": 1, "b": 10}, {"a": 2, "b": 20}]
    assert values(Dataset.from_tensor_slices([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]


@pytest.mark.parametrize("tensors, pattern", [
    ((np.zeros((5, 2)), np.zeros(4)), r"same first dimension, got shapes \(\(5, 2\), \(4,\)\)"),
    (np.float32(3.0), r"needs a first axis.*\(\)"),
])
def test_from_tensor_slices_refuses_components_that_cannot_be_sliced_together(tensors, pattern):
    with pytest.raises(ValueError, match=pattern):
        Dataset.from_tensor_slices(tensors)


def test_from_tensors_range_and_from_generator():
    assert values(Dataset.from_tensors(np.arange(3))) == [[0, 1, 2]]
    assert values(Dataset.range(5)) == [0, 1, 2, 3, 4]
    assert values(Dataset.range(2, 11, 3)) == [2, 5, 8]
    gen = Dataset.from_generator(lambda: ((i, i * i) for i in range(3)))
    assert values(gen) == [[0, 0], [1, 1], [2, 4]] == values(gen)    # called again per iteration
    assert int(gen.cardinality()) == data.UNKNOWN_CARDINALITY


# ----------------------------------------------------------------------------- batch / unbatch
@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 40), size=st.integers(1, 12), drop=st.booleans())
def test_batch_keeps_order_and_sizes_and_unbatch_inverts_it(n, size, drop):
    ds = Dataset.range(n).batch(size, drop_remainder=drop)
    got = values(ds)
    expected = [list(range(i, min(i + size, n))) for i in range(0, n, size)]
    if drop:
        expected = [b for b in expected if len(b) == size]
    assert got == expected
    assert len(ds) == len(expected)
    assert values(ds.unbatch()) == [v for b in expected for v in b]


def test_batches_of_in_memory_data_are_slices_of_it_not_per_element_copies():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    batches = [xb for xb in Dataset.from_tensor_slices(x).batch(8).as_numpy_iterator()]
    assert [len(b) for b in batches] == [8, 8, 4]
    assert all(np.shares_memory(b, x) for b in batches)


def test_batch_refuses_elements_of_different_shapes():
    ds = Dataset.from_generator(lambda: iter([np.zeros(2), np.zeros(3)])).batch(2)
    with pytest.raises(ValueError, match=r"batch: the elements do not all have the same shape"):
        list(ds.as_numpy_iterator())


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match=r"Dataset.batch: batch_size must be an integer >= 1, got 0"):
        Dataset.range(3).batch(0)


# ----------------------------------------------------------------------------- shuffle
def simulated_buffer(n, size, rng):
    """TensorFlow's shuffle buffer, step by step, drawing the same numbers as ``reservoir_order``."""
    if size >= n:
        return rng.permutation(n).tolist()
    draws = rng.integers(0, size, size=n - size)
    buffer, out = list(range(size)), []
    for t, j in enumerate(draws):
        out.append(buffer[j])
        buffer[j] = size + t
    return out + [buffer[j] for j in rng.permutation(size)]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 60), size=st.integers(1, 70), seed=st.integers(0, 1000))
def test_reservoir_order_is_the_shuffle_buffer_without_a_python_loop(n, size, seed):
    got = reservoir_order(n, size, np.random.default_rng(seed)).tolist()
    assert got == simulated_buffer(n, size, np.random.default_rng(seed))
    assert sorted(got) == list(range(n))


def test_a_small_buffer_only_mixes_nearby_elements_and_a_buffer_of_one_keeps_the_order():
    assert values(Dataset.range(20).shuffle(1, seed=3)) == list(range(20))
    order = values(Dataset.range(100).shuffle(5, seed=0))
    assert sorted(order) == list(range(100))
    # output i was in the buffer, which holds elements up to i + 4 at that step
    assert all(v <= i + 4 for i, v in enumerate(order))


def test_shuffle_seed_gives_the_same_sequence_of_orders_and_each_iteration_reshuffles():
    a = Dataset.range(30).shuffle(30, seed=7)
    b = Dataset.range(30).shuffle(30, seed=7)
    first_a, second_a = values(a), values(a)
    assert first_a == values(b) and second_a == values(b)       # same seed, same sequence
    assert first_a != second_a and sorted(first_a) == list(range(30))
    fixed = Dataset.range(30).shuffle(30, seed=7, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed) != list(range(30))


def test_an_unseeded_shuffle_follows_set_random_seed():
    set_random_seed(5)
    first = values(Dataset.range(30).shuffle(8))
    set_random_seed(5)
    assert values(Dataset.range(30).shuffle(8)) == first


def test_shuffle_before_repeat_draws_a_new_order_for_each_pass():
    passes = np.array(values(Dataset.range(10).shuffle(10, seed=1).repeat(3))).reshape(3, 10)
    assert all(sorted(p) == list(range(10)) for p in passes)
    assert len({tuple(p) for p in passes}) == 3


def test_shuffle_after_map_streams_through_the_same_buffer():
    order = values(Dataset.range(50).map(lambda v: v * 2).shuffle(3, seed=2))
    assert sorted(order) == list(range(0, 100, 2))
    assert all(v // 2 <= i + 2 for i, v in enumerate(order))
    assert order != sorted(order)


@settings(max_examples=30, deadline=None)
@given(chunk_sizes=st.lists(st.integers(1, 9), min_size=0, max_size=8), size=st.integers(1, 12),
       seed=st.integers(0, 100))
def test_the_streamed_buffer_is_the_shuffle_buffer_whatever_the_chunks(chunk_sizes, size, seed):
    """buffered_shuffle, fed chunks of any sizes, emits what the step-by-step buffer emits with the
    same slots drawn."""
    n = sum(chunk_sizes)
    bounds = np.cumsum([0] + chunk_sizes)
    chunks = [(np.arange(a, b), b - a) for a, b in zip(bounds[:-1], bounds[1:])]
    got = [int(v) for part, _ in buffered_shuffle(iter(chunks), size, np.random.default_rng(seed))
           for v in part]
    draws = []

    class Recorder:                      # the same numbers, drawn as the stream drew them
        def __init__(self):
            self.rng = np.random.default_rng(seed)

        def integers(self, low, high, size):
            values = self.rng.integers(low, high, size=size)
            draws.extend(values.tolist())
            return values

        def permutation(self, k):
            self.tail = self.rng.permutation(k)
            return self.tail

    recorder = Recorder()
    again = [int(v) for part, _ in buffered_shuffle(iter(chunks), size, recorder) for v in part]
    assert again == got and sorted(got) == list(range(n))
    buffer, expected = list(range(min(size, n))), []
    for t, j in enumerate(draws):
        expected.append(buffer[j])
        buffer[j] = size + t
    if n:
        expected += [buffer[j] for j in recorder.tail]
    assert got == expected


# ----------------------------------------------------------------------------- map, filter, cache
def test_map_spreads_a_tuple_and_after_batch_runs_once_per_batch():
    calls = []

    def scale(x, y):
        calls.append(x.shape)
        return x / 2, y + 1

    x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    out = list(Dataset.from_tensor_slices((x, y)).batch(4).map(scale).as_numpy_iterator())
    assert calls == [(4, 1), (4, 1), (2, 1)]
    np.testing.assert_allclose(np.concatenate([b[0] for b in out]), x / 2)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in out]), y + 1)


def test_filter_keeps_the_elements_whose_predicate_is_true():
    ds = Dataset.range(10).filter(lambda v: v > 6)
    assert values(ds) == [7, 8, 9]
    assert int(ds.cardinality()) == data.UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="length is unknown"):
        len(ds)
    with pytest.raises(ValueError, match="one boolean"):
        list(Dataset.range(3).filter(lambda v: np.array([True, False])).as_numpy_iterator())


def test_cache_serves_the_first_complete_pass_again_and_a_partial_pass_caches_nothing():
    calls = []

    def record(v):
        calls.append(int(v))
        return v

    ds = Dataset.range(4).map(record).cache()
    assert values(ds.take(2)) == [0, 1]
    ahead = len(calls)
    assert calls == [0, 1, 2][:ahead] and ahead <= 3               # computed at most one group ahead
    assert values(ds) == [0, 1, 2, 3] and calls[ahead:] == [0, 1, 2, 3]   # cut short: nothing cached
    assert values(ds) == values(ds.repeat(1)) == [0, 1, 2, 3]
    assert len(calls) == ahead + 4                                  # no further calls
    assert "cardinality=4" in repr(ds) and len(calls) == ahead + 4  # repr runs no function
    shuffled = Dataset.range(10).shuffle(10, seed=0).cache()
    assert values(shuffled) == values(shuffled)                       # cache after shuffle freezes it


# ----------------------------------------------------------------------------- counts
@pytest.mark.parametrize("make, expected, count", [
    (lambda: Dataset.range(10).take(3), [0, 1, 2], 3),
    (lambda: Dataset.range(10).skip(7), [7, 8, 9], 3),
    (lambda: Dataset.range(3).skip(5), [], 0),
    (lambda: Dataset.range(3).take(-1), [0, 1, 2], 3),
    (lambda: Dataset.range(3).skip(-1), [], 0),
    (lambda: Dataset.range(3).repeat(2), [0, 1, 2, 0, 1, 2], 6),
    (lambda: Dataset.range(3).repeat().take(7), [0, 1, 2, 0, 1, 2, 0], 7),
    (lambda: Dataset.range(5).repeat(2).skip(3).take(4), [3, 4, 0, 1], 4),
    (lambda: Dataset.range(3).concatenate(Dataset.range(7, 9)), [0, 1, 2, 7, 8], 5),
    (lambda: Dataset.range(0).repeat(), [], 0),
    (lambda: Dataset.range(7).batch(2).take(2).unbatch(), [0, 1, 2, 3], data.UNKNOWN_CARDINALITY),
])
def test_take_skip_repeat_concatenate_elements_and_cardinality(make, expected, count):
    ds = make()
    assert values(ds) == expected
    assert int(ds.cardinality()) == count


def test_an_endless_dataset_has_infinite_cardinality_and_no_length():
    ds = Dataset.range(3).repeat()
    assert ds.cardinality().numpy() == data.INFINITE_CARDINALITY == -1
    assert int(data.experimental.cardinality(ds.batch(2))) == -1
    with pytest.raises(TypeError, match="infinite"):
        len(ds)


def test_zip_enumerate_and_their_lengths():
    zipped = Dataset.zip(Dataset.range(3), Dataset.range(10, 20).batch(2))
    assert [(int(a), b.tolist()) for a, b in zipped.as_numpy_iterator()] == [
        (0, [10, 11]), (1, [12, 13]), (2, [14, 15])]
    assert len(zipped) == 3 and len(Dataset.zip((Dataset.range(4), Dataset.range(2)))) == 2
    named = Dataset.zip({"i": Dataset.range(2), "j": Dataset.range(5, 7)})
    assert [{k: int(v) for k, v in e.items()} for e in named.as_numpy_iterator()] == [
        {"i": 0, "j": 5}, {"i": 1, "j": 6}]
    assert values(Dataset.range(3).map(lambda v: v * 10).enumerate(start=1)) == [[1, 0], [2, 10], [3, 20]]
    # zip of a table with a mapped (element-by-element) dataset lines up rows across chunks
    mixed = Dataset.zip(Dataset.range(9000), Dataset.range(9000).map(lambda v: v + 1))
    pairs = np.array(values(mixed))
    assert len(pairs) == 9000 and np.array_equal(pairs[:, 1], pairs[:, 0] + 1)


# ----------------------------------------------------------------------------- specs and the tf.data names
def test_element_spec_of_a_batched_dataset_has_an_unknown_batch_axis_unless_drop_remainder():
    x, y = np.zeros((10, 28, 28), np.float32), np.zeros(10, np.int64)
    ds = Dataset.from_tensor_slices((x, y))
    assert ds.element_spec == (data.TensorSpec((28, 28), np.float32), data.TensorSpec((), np.int64))
    assert ds.batch(4).element_spec[0].shape == (None, 28, 28)
    assert ds.shuffle(10).batch(4, drop_remainder=True).prefetch(data.AUTOTUNE).element_spec[1].shape == (4,)


def test_tf_data_namespace():
    assert data.AUTOTUNE == data.experimental.AUTOTUNE == -1
    assert data.Dataset is Dataset
    ds = data.Dataset.from_tensor_slices(np.arange(6)).map(lambda v: v, num_parallel_calls=data.AUTOTUNE)
    assert values(ds.batch(3).prefetch(data.AUTOTUNE)) == [[0, 1, 2], [3, 4, 5]]


def test_transformations_need_functions_and_counts():
    with pytest.raises(TypeError, match="Dataset.map needs a function"):
        Dataset.range(3).map(3)
    with pytest.raises(ValueError, match="Dataset.take: count must be an integer"):
        Dataset.range(3).take(1.5)
    with pytest.raises(ValueError, match="buffer_size must be at least 1"):
        Dataset.range(3).shuffle(0)


# ----------------------------------------------------------------------------- window and flat_map
def test_window_gives_datasets_of_consecutive_elements_as_tensorflow_documents():
    def windows(ds):
        return [[int(v) for v in w.as_numpy_iterator()] for w in ds]
    assert windows(Dataset.range(7).window(3, shift=2)) == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    assert windows(Dataset.range(7).window(3, shift=1, stride=2)) == [
        [0, 2, 4], [1, 3, 5], [2, 4, 6], [3, 5], [4, 6], [5], [6]]
    assert windows(Dataset.range(7).window(3, drop_remainder=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(Dataset.range(7).window(3, shift=1, drop_remainder=True)) == 5


def test_the_courses_windowed_time_series_dataset():
    """window + flat_map + map to (inputs, next value), as the time-series course builds it."""
    series = np.arange(20, dtype=np.float32) * 0.5
    size = 4
    ds = Dataset.from_tensor_slices(series).window(size + 1, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda window: window.batch(size + 1))
    ds = ds.shuffle(8, seed=0).map(lambda window: (window[:-1], window[-1])).batch(5).prefetch(1)
    xs, ys = zip(*ds.as_numpy_iterator())
    x, y = np.concatenate(xs), np.concatenate(ys)
    assert x.shape == (16, 4) and [len(b) for b in ys] == [5, 5, 5, 1]
    np.testing.assert_array_equal(x[:, 1:] - x[:, :-1], np.full((16, 3), 0.5))   # each row is a window
    np.testing.assert_array_equal(y, x[:, -1] + 0.5)                              # and its next value
    assert sorted(x[:, 0].tolist()) == (np.arange(16) * 0.5).tolist()


def test_flat_map_spreads_tuple_windows_and_needs_a_dataset():
    ds = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10)).window(2, drop_remainder=True)
    pairs = ds.flat_map(lambda a, b: Dataset.zip(a.batch(2), b.batch(2)))
    assert [(a.tolist(), b.tolist()) for a, b in pairs.as_numpy_iterator()] == [([0, 1], [0, 10]),
                                                                               ([2, 3], [20, 30])]
    with pytest.raises(TypeError, match="flat_map: the function must return a Dataset, got list"):
        list(Dataset.range(3).flat_map(lambda v: [v]).as_numpy_iterator())


def test_padded_batch_pads_each_batch_to_its_longest_element_or_the_given_shape():
    ragged = Dataset.range(1, 6).map(lambda n: np.arange(int(n)) + 1)
    got = [b.tolist() for b in ragged.padded_batch(2).as_numpy_iterator()]
    assert got == [[[1, 0], [1, 2]], [[1, 2, 3, 0], [1, 2, 3, 4]], [[1, 2, 3, 4, 5]]]
    fixed = ragged.padded_batch(2, padded_shapes=[6], padding_values=-1, drop_remainder=True)
    assert [b.shape for b in fixed.as_numpy_iterator()] == [(2, 6), (2, 6)] and len(fixed) == 2
    assert next(fixed.as_numpy_iterator())[0].tolist() == [1, -1, -1, -1, -1, -1]
    pairs = Dataset.from_generator(lambda: iter([(np.arange(2), 7), (np.arange(3), 8)]))
    x, y = next(pairs.padded_batch(2, padded_shapes=([None], [])).as_numpy_iterator())
    assert x.tolist() == [[0, 1, 0], [0, 1, 2]] and y.tolist() == [7, 8]
    with pytest.raises(ValueError, match=r"longer than its padded shape \(3,\)"):
        list(ragged.padded_batch(5, padded_shapes=[3]).as_numpy_iterator())


def test_map_computes_ahead_at_most_what_was_consumed_and_hands_on_chunks():
    calls = []

    def record(v):
        calls.append(int(v))
        return v * 10

    assert values(Dataset.range(1000).map(record).take(1)) == [0] and calls == [0]
    calls.clear()
    assert values(Dataset.range(100).map(record).take(7)) == list(range(0, 70, 10))
    assert len(calls) <= 2 * 7
    chunks = list(Dataset.range(100).map(record).numpy_chunks())
    assert [n for _, n in chunks][:4] == [1, 2, 4, 8] and sum(n for _, n in chunks) == 100


def test_element_spec_draws_no_shuffle_order():
    def make():
        return Dataset.range(20).shuffle(20, seed=4).batch(5)
    reference, probed = make(), make()
    assert probed.element_spec == data.TensorSpec((None,), np.int64)
    assert values(probed) == values(reference)
