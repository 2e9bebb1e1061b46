"""Per-channel arithmetic on wide rows: the same additions in fewer, longer NumPy loops."""


def channel_rows(a, channels, width=256):
    """A C-contiguous channels-last array ``a`` (last axis of length ``channels``) viewed as a
    matrix of shape (m / r, r * channels), r consecutive rows side by side; returns (view, r).

    Why: ``a + v`` for a per-channel vector v runs NumPy's inner loop once per row of
    ``channels`` numbers, and with 32 channels it spends about as long starting loops as adding.
    The same additions on the wide view, with v repeated r times (``np.tile(v, r)``), run over
    r * channels numbers per loop: about 2x faster for 32 channels, with identical results.
    r starts at 1 and doubles while r * channels < ``width`` and 2r divides the row count.
    """
    m = a.size // channels if channels else 0
    r = 1
    while r * channels < width and m % (2 * r) == 0 and m:
        r *= 2
    return a.reshape(m // r, r * channels), r


