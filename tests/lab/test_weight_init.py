"""The weight-initialization lesson (``scratchnn/lab/weight_init.py``): activations collapse,
saturate or keep their spread (against a NumPy forward pass), std 0.01 stalls and He learns,
the report, the figures.
"""
import math

import numpy as np

from tests.lab.helpers import check_axes


# ================================================================ weight initialization
def test_activations_collapse_saturate_or_keep_their_spread(results):
    n = results("weight-init")[0].numbers
    std, sat = n["last_layer_std"], n["saturated_fraction"]
    # std 0.01: the signal collapses to 0 (tanh, ReLU) or to 0.5 (sigmoid)
    assert std["tanh"]["std 0.01"] < 1e-4 and std["relu"]["std 0.01"] < 1e-4
    assert abs(n["sigmoid_std_001_last_mean"] - 0.5) < 0.01 and std["sigmoid"]["std 0.01"] < 0.05
    # std 1: tanh and sigmoid saturate, ReLU explodes
    assert sat["tanh"]["std 1"] > 0.5 and sat["sigmoid"]["std 1"] > 0.5
    assert std["relu"]["std 1"] > 1e6
    # Xavier keeps tanh alive, He keeps ReLU's spread from the first layer to the last
    assert sat["tanh"]["Xavier"] < 0.01 and sat["sigmoid"]["Xavier"] < 0.01
    assert 0.1 < std["tanh"]["Xavier"] < 1
    he = n["layer_std"]["relu"]["He"]
    assert 0.5 < he[-1] / he[0] < 2
    xavier = n["layer_std"]["relu"]["Xavier"]
    assert xavier[-1] / xavier[0] < 0.2                       # halved variance per layer
    assert n["xavier_input_spread"]["sigmoid"] < 1e-3 < n["xavier_input_spread"]["tanh"]


def test_layer_std_matches_a_numpy_forward_pass(results):
    """The reported per-layer std, recomputed in float64 NumPy from the same weights and inputs."""
    from scratchnn.lab.weight_init import deep_net
    from scratchnn.utils import set_random_seed
    n = results("weight-init")[0].numbers
    x = np.random.default_rng(0).standard_normal((500, 256)).astype(np.float32).astype(np.float64)
    fns = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}
    for act in ("tanh", "relu", "sigmoid"):
        for init in ("std 0.01", "Xavier", "He"):
            set_random_seed(0)
            weights = deep_net(act, init).get_weights()
            h, stds = x, []
            for kernel, bias in zip(weights[::2], weights[1::2]):
                h = fns[act](h @ kernel.astype(np.float64) + bias)
                stds.append(h.std())
            np.testing.assert_allclose(n["layer_std"][act][init], stds, rtol=1e-3, err_msg=f"{act} {init}")


def test_std_001_stalls_he_learns(results):
    n = results("weight-init")[0].numbers
    final = n["final_loss"]
    assert final["std 0.01"] > 2.2                          # stuck near ln 10 = 2.30
    assert final["He"] < 1.0 and final["Xavier"] < 1.0
    assert final["He"] < final["std 0.01"] - 1.0
    # std 1: a huge first loss, then no finite loss any more (training diverged)
    assert n["first_loss"]["std 1"] > 100
    assert not math.isfinite(final["std 1"])
    assert n["steps_run"]["std 1"] < n["steps"] == n["steps_run"]["He"]


def test_weight_init_report_states_the_numbers(results):
    result = results("weight-init")[0]
    n = result.numbers
    assert f"final {n['final_loss']['std 0.01']:.3f}" in result.report
    assert f"final {n['final_loss']['He']:.3f}" in result.report
    assert f"{n['saturated_fraction']['tanh']['std 1']:.0%} of the last tanh layer's units" in result.report
    for init in ("std 0.01", "std 1", "Xavier", "He"):
        row = f"  {init:<9}" + "".join(f"{n['last_layer_std'][act][init]:>11.2g}"
                                       for act in ("sigmoid", "tanh", "relu"))
        assert row in result.report


def test_weight_init_figures(results):
    figures = results("weight-init")[0].figures
    for fig in figures.values():
        assert fig._suptitle.get_text()
    std_axes = figures["activation_std"].axes
    assert len(std_axes) == 3 and all(ax.get_yscale() == "log" for ax in std_axes)
    assert std_axes[0].get_legend() is not None and std_axes[0].get_ylabel()
    for ax in std_axes:
        assert ax.get_title() and ax.get_xlabel()
    hist_axes = figures["activation_histograms"].axes
    assert len(hist_axes) == 12                               # 4 initializations x 3 activations
    for ax in hist_axes:
        assert ax.get_title() and ax.get_ylabel()
    assert all(ax.get_xlabel() for ax in hist_axes[-3:])       # the bottom row
    main, diverged = figures["mnist"].axes
    check_axes(main, legend=True)
    check_axes(diverged, legend=True)                        # std 1's exploding loss
    assert len(main.get_legend().get_texts()) == 4            # std 0.01, Xavier, He, ln 10
