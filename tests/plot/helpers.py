"""Helpers of the plot tests: the figures are checked through their artists."""
import numpy as np


# ------------------------------------------------------------------ image grid
def digits(n, rng):
    return (rng.random((n, 28, 28)) * 255).astype(np.uint8)


# ------------------------------------------------------------------ filters and feature maps
def tiles(fig):
    return [ax for ax in fig.axes if ax.images]
