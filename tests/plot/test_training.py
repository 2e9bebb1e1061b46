"""The figures of training diagnostics (``scratchnn/plot/training.py``): gradient norms, weight
histograms, dead units, update ratios, activation histograms and explanations, from a
``TrainingMonitor`` (``tests/inspect/``).
"""
import numpy as np
import pytest

from scratchnn import inspect

from tests.inspect.helpers import axes_by_gid, blobs, compiled, mlp, quiet_fit


# ------------------------------------------------------------------ figures
@pytest.fixture(scope="module")
def trained_monitor():
    x, y = blobs(120)
    model = compiled(mlp(hidden=(16, 8)))
    monitor = inspect.TrainingMonitor(every=3)
    quiet_fit(model, x, y, epochs=2, batch_size=20, callbacks=[monitor])
    return model, monitor


def test_plot_gradient_norms(trained_monitor, tmp_path):
    from scratchnn import plot
    model, monitor = trained_monitor
    fig = plot.gradient_norms(monitor, path=tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    gids = axes_by_gid(fig)
    over, per_layer = gids["gradient-norms-over-steps"], gids["gradient-norms-per-layer"]
    assert over.get_yscale() == "log" and "gradient norm (L2)" in over.get_ylabel()
    lines = {ln.get_label(): ln for ln in over.get_lines()}
    assert list(lines) == monitor.layer_names
    for name, line in lines.items():
        steps, values = monitor.series("gradient_norm", name)
        np.testing.assert_array_equal(line.get_xdata(), steps)
        np.testing.assert_allclose(line.get_ydata(), values)
    start = per_layer.get_lines()[0].get_ydata()
    np.testing.assert_allclose(start, [monitor.series("gradient_norm", n)[1][0] for n in monitor.layer_names])


def test_plot_weight_histograms_dead_units_and_update_ratios(trained_monitor):
    from scratchnn import plot
    model, monitor = trained_monitor
    gids = axes_by_gid(plot.weight_histograms(monitor))
    assert set(gids) == {f"weights-{n}" for n in monitor.layer_names}
    ax = gids[f"weights-{monitor.layer_names[0]}"]
    assert "std" in ax.get_title() and ax.get_xlabel() == "weight value"
    dead = axes_by_gid(plot.dead_units(monitor))["dead-units"]
    assert [ln.get_label() for ln in dead.get_lines()] == monitor.layer_names[:2]      # ReLU layers only
    np.testing.assert_allclose(dead.get_lines()[0].get_ydata(),
                               100 * monitor.series("dead_fraction", monitor.layer_names[0])[1])
    ratios = axes_by_gid(plot.update_ratios(monitor))["update-ratios"]
    rule = [ln for ln in ratios.get_lines() if ln.get_gid() == "rule-of-thumb"]
    assert len(rule) == 1 and tuple(rule[0].get_ydata()) == (1e-3, 1e-3)
    assert ratios.get_yscale() == "log"


def test_plot_activation_histograms_from_arrays_and_monitor(trained_monitor):
    from scratchnn import plot
    model, monitor = trained_monitor
    x, _ = blobs(50)
    acts = inspect.layer_activations(model, x)
    fig = plot.activation_histograms(acts, bins=20)
    gids = axes_by_gid(fig)
    assert list(gids) == [f"activations-{n}" for n in acts]
    lo = min(float(v.min()) for v in acts.values())
    hi = max(float(v.max()) for v in acts.values())
    for name, values in acts.items():                               # shares of values in common bins
        heights, edges, _ = gids[f"activations-{name}"].patches[0].get_data()
        counts, want_edges = np.histogram(values.astype(np.float64), bins=20, range=(lo, hi))
        np.testing.assert_allclose(edges, want_edges, rtol=1e-6)
        np.testing.assert_allclose(heights, counts / values.size, atol=1e-12)
    assert len({gids[g].get_xlim() for g in gids}) == 1             # one shared x range
    assert "mean" in gids[f"activations-{model.layers[0].name}"].texts[0].get_text()
    from_monitor = axes_by_gid(plot.activation_histograms(monitor, at="init"))
    assert list(from_monitor) == [f"activations-{n}" for n in monitor.layer_names]


def test_plot_activation_histograms_of_a_monitor_in_common_bins(trained_monitor):
    """The monitor's own bins (30) are spread over 50 common bins by overlap, leaving no false gaps."""
    from scratchnn import plot
    _, monitor = trained_monitor
    gids = axes_by_gid(plot.activation_histograms(monitor, at="last", bins=50))
    for name in monitor.layer_names:
        source = monitor.histogram(name, "activations", "last")
        e, c = source["edges"], source["counts"].astype(np.float64)
        heights, edges, _ = gids[f"activations-{name}"].patches[0].get_data()
        want = np.array([sum(c[i] * max(0.0, min(e[i + 1], hi) - max(e[i], lo)) / (e[i + 1] - e[i])
                             for i in range(len(c))) for lo, hi in zip(edges[:-1], edges[1:])])
        np.testing.assert_allclose(heights, want / c.sum(), atol=1e-12)


def test_plot_explanation_shows_the_probabilities():
    from scratchnn import plot
    x, _ = blobs(3)
    model = mlp()
    e = inspect.explain(model, x[0], temperature=2.0)
    fig = e.plot()
    gids = axes_by_gid(fig)
    assert set(gids) == {"probabilities", "output-input"} | {f"output-{layer.name}" for layer in model.layers}
    bars = sorted((p.get_width() for p in gids["probabilities"].patches), reverse=True)
    np.testing.assert_allclose(bars, np.sort(e.probabilities)[::-1])
    assert "T = 2" in gids["probabilities"].get_title()
    assert plot.explanation is not None


def test_plots_refuse_an_empty_monitor():
    from scratchnn import plot
    with pytest.raises(ValueError, match="the monitor has no records yet"):
        plot.gradient_norms(inspect.TrainingMonitor())
    with pytest.raises(TypeError, match="expects a scratchnn.inspect.TrainingMonitor"):
        plot.update_ratios({"loss": [1.0]})
