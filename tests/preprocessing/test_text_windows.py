"""``TextWindows`` and ``windows_at`` (``scratchnn/preprocessing/text_windows.py``): each target is
the next token, starts are uniform over every window, seeding, fixed validation windows, ``fit``
accepting the object, and the argument checks."""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn.preprocessing import TextWindows, windows_at

TOKENS = np.arange(100) % 37            # token at position p is p % 37: easy to check by hand


def test_windows_at_pairs_each_window_with_the_next_tokens():
    x, y = windows_at(TOKENS, [0, 5, 98 - 4], block_size=5)
    assert x.shape == y.shape == (3, 5) and x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(x[1], [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(y[1], [6, 7, 8, 9, 10])
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:])                     # y is x shifted by one
    np.testing.assert_array_equal(y[2], TOKENS[95:100])                    # the last possible window


def test_windows_at_refuses_a_start_without_room_for_the_targets():
    with pytest.raises(ValueError, match=r"start 95 is outside \[0, 94\]"):
        windows_at(TOKENS, [0, 95], block_size=5)
    with pytest.raises(ValueError, match="start -1"):
        windows_at(TOKENS, [-1], block_size=5)


def test_batches_are_random_windows_with_shifted_targets():
    windows = TextWindows(TOKENS, block_size=8, batch_size=4, steps=50, seed=0)
    batches = list(windows)
    assert len(batches) == len(windows) == 50
    starts = []
    for x, y in batches:
        assert x.shape == y.shape == (4, 8)
        np.testing.assert_array_equal((x + 1) % 37, y)                    # each target: the next token
        assert (np.diff(x, axis=1) % 37 == 1).all()                       # contiguous slices
        starts.append(x[:, 0])
    assert len(np.unique(np.concatenate(starts))) > 25                    # of 37 distinct first tokens


def test_starts_cover_every_window_uniformly():
    windows = TextWindows(TOKENS, block_size=10, batch_size=100, steps=100, seed=1)
    starts = windows.starts()
    assert windows.num_windows == 90 and starts.min() == 0 and starts.max() == 89
    counts = np.bincount(starts.ravel(), minlength=90)
    assert counts.min() > 60 and counts.max() < 175                      # 10000 draws, ~111 each


def test_a_seed_repeats_the_run_and_passes_differ():
    a = TextWindows(TOKENS, 8, batch_size=3, steps=4, seed=7)
    b = TextWindows(TOKENS, 8, batch_size=3, steps=4, seed=7)
    first_a, first_b = [x for x, _ in a], [x for x, _ in b]
    np.testing.assert_array_equal(first_a, first_b)
    second_a = [x for x, _ in a]
    assert not np.array_equal(first_a, second_a)                          # a new epoch, new windows
    np.testing.assert_array_equal(second_a, [x for x, _ in b])


def test_seed_none_follows_the_global_seed():
    runs = []
    for _ in range(2):
        snn.utils.set_random_seed(3)
        runs.append([x for x, _ in TextWindows(TOKENS, 8, batch_size=3, steps=4)])
    np.testing.assert_array_equal(*runs)


def test_fixed_windows_are_the_same_at_every_pass():
    windows = TextWindows(TOKENS, 8, batch_size=3, steps=4, seed=2, fixed=True)
    np.testing.assert_array_equal([x for x, _ in windows], [x for x, _ in windows])
    assert "fixed" in repr(windows)


def test_fit_trains_on_the_windows_for_steps_batches_per_epoch():
    snn.utils.set_random_seed(0)
    model = snn.models.GPT(37, sequence_length=8, num_layers=1, num_heads=1, hidden_dim=8)
    model.compile(optimizer="adam", loss=snn.losses.SparseCategoricalCrossentropy(from_logits=True))
    seen = []
    model.fit(TextWindows(TOKENS, 8, batch_size=2, steps=3, seed=0), epochs=2, verbose=0,
              callbacks=[snn.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))])
    assert seen == [0, 1, 2, 0, 1, 2]
    assert model.built and model.optimizer.iterations == 6


@pytest.mark.parametrize("kwargs, message", [
    ({"tokens": TOKENS.reshape(10, 10)}, "1-D array of integer token ids, got shape"),
    ({"tokens": TOKENS.astype(float)}, "dtype float64"),
    ({"tokens": TOKENS[:8]}, "8 tokens are too few for windows of block_size 8"),
    ({"block_size": 0}, "block_size must be an integer >= 1, got 0"),
    ({"batch_size": 2.5}, "batch_size must be an integer >= 1"),
    ({"steps": True}, "steps must be an integer >= 1"),
    ({"seed": -3}, "random_state must be None, a non-negative int"),
])
def test_bad_arguments_are_named(kwargs, message):
    args = {"tokens": TOKENS, "block_size": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        TextWindows(**args)
