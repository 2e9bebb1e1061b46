"""Initializers: fans, distributions' statistics and bounds, seeding, PyTorch's formulas, get/serialize."""
import math

import numpy as np
import pytest

import scratchnn.random as snn_random
from scratchnn import initializers as I

from tests.helpers import requires_torch, torch

RANDOM_NAMES = ["random_normal", "random_uniform", "truncated_normal", "variance_scaling", "glorot_uniform",
                "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "orthogonal"]
ALL_NAMES = ["zeros", "ones", "constant", "identity"] + RANDOM_NAMES

# name -> (scale, mode, distribution), Keras 3's definitions of the named VarianceScaling cases
NAMED = {"glorot_uniform": (1.0, "fan_avg", "uniform"), "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
         "he_normal": (2.0, "fan_in", "truncated_normal"), "he_uniform": (2.0, "fan_in", "uniform"),
         "lecun_normal": (1.0, "fan_in", "truncated_normal"), "lecun_uniform": (1.0, "fan_in", "uniform")}


def _fan(shape, mode):
    fan_in, fan_out = I.compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


# ----------------------------------------------------------------- fans
@pytest.mark.parametrize("shape, fans", [((), (1, 1)), ((7,), (7, 7)), (7, (7, 7)), ((3, 5), (3, 5)),
                                         ((3, 3, 16, 32), (144, 288)), ((5, 4, 8), (20, 40)),
                                         ((2, 3, 3, 4, 6), (72, 108))])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


def test_conv_kernel_fans_set_the_scale():
    # (3, 3, 16, 32): fan_in = 144, fan_out = 288; a rank-2 reading (3, 3) would give a limit 4x larger
    w = I.GlorotUniform(seed=0)((3, 3, 16, 32))
    limit = math.sqrt(6 / (144 + 288))
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    w = I.HeUniform(seed=0)((3, 3, 16, 32))
    assert np.abs(w).max() <= math.sqrt(6 / 144) and np.abs(w).max() > 0.99 * math.sqrt(6 / 144)


# ----------------------------------------------------------------- statistics of large draws
def test_glorot_uniform_statistics():
    w = I.GlorotUniform(seed=1)((400, 600)).astype(np.float64)
    limit = math.sqrt(6 / 1000)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit
    assert abs(w.mean()) < 0.01 * limit
    np.testing.assert_allclose(w.var(), limit ** 2 / 3, rtol=0.02)


def test_he_normal_is_truncated_with_corrected_stddev():
    w = I.HeNormal(seed=2)((512, 256)).astype(np.float64)
    target = math.sqrt(2 / 512)
    np.testing.assert_allclose(w.std(), target, rtol=0.02)
    scale = target / I.TRUNCATED_NORMAL_STDDEV          # the normal's scale before truncation
    assert np.abs(w).max() <= 2 * scale * (1 + 1e-6)
    assert np.abs(w).max() > 1.95 * scale                # truncated at 2 scales, not earlier


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_modes_and_distributions(mode, distribution):
    shape = (5, 5, 64, 128)                                # fans 1600 / 3200 / avg 2400
    init = I.VarianceScaling(scale=2.0, mode=mode, distribution=distribution, seed=3)
    w = init(shape, dtype="float64")
    var = 2.0 / _fan(shape, mode)
    assert init.variance(shape) == pytest.approx(var)
    np.testing.assert_allclose(w.var(), var, rtol=0.03)
    assert abs(w.mean()) < 0.02 * math.sqrt(var)
    frac_beyond_2sd = np.mean(np.abs(w) > 2 * math.sqrt(var))
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(3 * var)
    elif distribution == "truncated_normal":
        assert np.abs(w).max() <= 2 * math.sqrt(var) / I.TRUNCATED_NORMAL_STDDEV
        assert frac_beyond_2sd < 0.04        # untruncated would have 4.6% beyond 2 sd, truncated ~2%
    else:
        assert np.abs(frac_beyond_2sd - 0.0455) < 0.004


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_variance_scaling(name):
    scale, mode, distribution = NAMED[name]
    init = I.get(name)
    assert isinstance(init, I.VarianceScaling)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    shape = (3, 3, 64, 128)                                # conv kernel: fans 576 / 1152
    w = type(init)(seed=4)(shape, dtype="float64")
    var = scale / _fan(shape, mode)
    np.testing.assert_allclose(w.var(), var, rtol=0.03)
    if distribution == "uniform":
        bound = math.sqrt(3 * var)
    else:
        bound = 2 * math.sqrt(var) / I.TRUNCATED_NORMAL_STDDEV
    assert np.abs(w).max() <= bound


def test_variance_scaling_normal_alias_and_small_fans():
    assert I.VarianceScaling(distribution="Normal").distribution == "truncated_normal"
    # fans below 1 are raised to 1 (a scalar weight, fans (1, 1); an empty one, fan 0)
    assert I.VarianceScaling(scale=0.5).variance(()) == 0.5
    assert I.VarianceScaling(scale=0.5).variance((0, 3)) == 0.5
    assert I.VarianceScaling()((0, 3)).shape == (0, 3)


def test_truncated_normal_bounds_and_statistics():
    w = I.TruncatedNormal(mean=1.0, stddev=0.5, seed=5)((1000, 500), dtype="float64")
    assert w.min() >= 0.0 and w.max() <= 2.0               # mean +- 2 stddev
    assert w.min() < 0.01 and w.max() > 1.99
    np.testing.assert_allclose(w.mean(), 1.0, atol=2e-3)
    np.testing.assert_allclose(w.std(), 0.5 * I.TRUNCATED_NORMAL_STDDEV, rtol=0.01)


def test_random_normal_and_uniform_statistics_and_defaults():
    assert I.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert I.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}
    assert I.TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    w = I.RandomNormal(mean=-2.0, stddev=3.0, seed=6)((500, 400), dtype="float64")
    np.testing.assert_allclose([w.mean(), w.std()], [-2.0, 3.0], rtol=0.01)
    assert np.mean(np.abs(w + 2) > 6) > 0.04                # not truncated
    u = I.RandomUniform(minval=1.0, maxval=3.0, seed=7)((500, 400), dtype="float64")
    assert u.min() >= 1.0 and u.max() < 3.0
    np.testing.assert_allclose([u.mean(), u.var()], [2.0, 4 / 12], rtol=0.01)


# ----------------------------------------------------------------- orthogonal, identity, constants
@pytest.mark.parametrize("shape", [(64, 64), (100, 30), (30, 100), (3, 3, 16, 32), (2, 3, 40)])
def test_orthogonal(shape):
    w = I.Orthogonal(seed=8)(shape, dtype="float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])                            # rows = prod(shape[:-1]), cols = shape[-1]
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-10)   # orthonormal columns
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-10)   # orthonormal rows


def test_orthogonal_gain_dtype_and_rank():
    w = I.Orthogonal(gain=2.0, seed=9)((20, 20))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.T.astype(np.float64) @ w, 4 * np.eye(20), atol=1e-5)
    with pytest.raises(ValueError, match="rank >= 2"):
        I.Orthogonal()((5,))


def test_identity():
    np.testing.assert_array_equal(I.Identity()((3, 3)), np.eye(3))
    np.testing.assert_array_equal(I.Identity(gain=2.5)((2, 4)), 2.5 * np.eye(2, 4))
    assert I.Identity()((3, 3), dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="2-D"):
        I.Identity()((2, 2, 2))


def test_constants():
    np.testing.assert_array_equal(I.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.Ones()(4), np.ones(4))
    c = I.Constant(3.5)((2, 2), dtype="float64")
    assert c.dtype == np.float64 and np.all(c == 3.5)
    assert I.Constant(7)((3,), dtype="int32").dtype == np.int32
    assert I.Constant().get_config() == {"value": 0.0}
    with pytest.raises(ValueError, match="`value`"):
        I.Constant([1, 2])


# ----------------------------------------------------------------- seeding and dtypes
@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_seeded_initializers_repeat(name):
    cls = type(I.get(name))
    a = cls(seed=11)((20, 30))
    np.testing.assert_array_equal(a, cls(seed=11)((20, 30)))        # a fresh instance
    init = cls(seed=11)
    np.testing.assert_array_equal(init((20, 30)), init((20, 30)))   # the same instance, twice
    assert not np.array_equal(a, cls(seed=12)((20, 30)))            # another seed
    # drawn in float64 then cast: the same numbers in both precisions
    np.testing.assert_allclose(cls(seed=11)((20, 30), dtype="float64"), a, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_unseeded_initializers_follow_the_global_seed(name):
    init = I.get(name)
    snn_random.set_seed(0)
    a, b = init((10, 12)), init((10, 12))
    assert not np.array_equal(a, b)                                  # successive calls differ
    snn_random.set_seed(0)
    np.testing.assert_array_equal(init((10, 12)), a)                 # ...and repeat after set_seed
    np.testing.assert_array_equal(init((10, 12)), b)
    snn_random.set_seed(None)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_dtype_default_and_float64(name):
    init = I.get(name)
    assert init((4, 5)).dtype == np.float32
    assert init((4, 5), dtype=np.float64).dtype == np.float64
    assert init([4, 5]).shape == (4, 5)


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_random_initializers_refuse_integer_dtypes(name):
    with pytest.raises(ValueError, match="`dtype`"):
        I.get(name)((3, 3), dtype="int32")


def test_truncated_normal_is_vectorised():
    # a million values need a handful of vectorised re-draw rounds, not a Python loop per element
    calls = []

    class CountingRng:
        def __init__(self):
            self.rng = np.random.default_rng(0)

        def standard_normal(self, size):
            calls.append(size)
            return self.rng.standard_normal(size)

    z = I._truncated_standard_normal(CountingRng(), (1000, 1000))
    assert np.abs(z).max() <= 2.0
    assert len(calls) < 20


# ----------------------------------------------------------------- PyTorch's formulas, same fans
@requires_torch
@pytest.mark.parametrize("ours, theirs", [((3, 3, 16, 32), (32, 16, 3, 3)), ((400, 600), (600, 400)),
                                          ((5, 8, 12), (12, 8, 5))])
def test_fans_match_torch(ours, theirs):
    # Keras stores kernels (..., in, out), PyTorch (out, in, ...): the same layer, the same fans
    assert I.compute_fans(ours) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(theirs))


@requires_torch
@pytest.mark.parametrize("name, torch_init, kwargs", [
    ("glorot_uniform", "xavier_uniform_", {}),
    ("he_uniform", "kaiming_uniform_", {"nonlinearity": "relu"}),
    ("lecun_uniform", "kaiming_uniform_", {"nonlinearity": "linear"}),
])
def test_uniform_bounds_match_torch(name, torch_init, kwargs):
    ours, theirs = (3, 3, 64, 96), (96, 64, 3, 3)
    limit = math.sqrt(3 * I.get(name).variance(ours))
    torch.manual_seed(0)
    t = getattr(torch.nn.init, torch_init)(torch.empty(theirs, dtype=torch.float64), **kwargs).numpy()
    w = type(I.get(name))(seed=0)(ours, dtype="float64")
    for x in (t, w):       # both fill [-limit, limit]: max within 0.1% of it, none beyond
        assert limit * 0.999 < np.abs(x).max() <= limit
    np.testing.assert_allclose(w.var(), t.var(), rtol=0.03)


@requires_torch
@pytest.mark.parametrize("name, torch_init, kwargs", [
    ("glorot_normal", "xavier_normal_", {}),
    ("he_normal", "kaiming_normal_", {"nonlinearity": "relu"}),
    ("lecun_normal", "kaiming_normal_", {"nonlinearity": "linear"}),
])
def test_normal_stddev_matches_torch(name, torch_init, kwargs):
    ours, theirs = (3, 3, 64, 96), (96, 64, 3, 3)
    init = I.get(name)
    std = math.sqrt(init.variance(ours))
    untruncated = I.VarianceScaling(init.scale, init.mode, "untruncated_normal", seed=0)(ours, "float64")
    truncated = type(init)(seed=0)(ours, dtype="float64")
    torch.manual_seed(0)
    t = getattr(torch.nn.init, torch_init)(torch.empty(theirs, dtype=torch.float64), **kwargs).numpy()
    # PyTorch draws an untruncated normal with the same standard deviation as Keras's truncated one
    np.testing.assert_allclose([t.std(), untruncated.std(), truncated.std()], std, rtol=0.02)
    assert np.abs(truncated).max() <= 2 * std / I.TRUNCATED_NORMAL_STDDEV < np.abs(t).max()


@requires_torch
def test_truncated_normal_matches_torch_trunc_normal():
    torch.manual_seed(0)
    t = torch.nn.init.trunc_normal_(torch.empty(600, 400, dtype=torch.float64), mean=0.0, std=0.3,
                                    a=-0.6, b=0.6).numpy()
    w = I.TruncatedNormal(stddev=0.3, seed=0)((600, 400), dtype="float64")
    np.testing.assert_allclose(w.std(), t.std(), rtol=0.01)
    assert np.abs(w).max() <= 0.6 and np.abs(t).max() <= 0.6


# ----------------------------------------------------------------- get / serialize
def _non_default(name):
    return {"constant": {"value": 2.5}, "identity": {"gain": 3.0}, "orthogonal": {"gain": 0.5, "seed": 3},
            "random_normal": {"mean": 1.0, "stddev": 0.2, "seed": 4},
            "random_uniform": {"minval": -1.0, "maxval": 2.0, "seed": 5},
            "truncated_normal": {"mean": 0.5, "stddev": 0.1, "seed": None},
            "variance_scaling": {"scale": 3.0, "mode": "fan_out", "distribution": "uniform", "seed": 6},
            }.get(name, {"seed": 7} if name in NAMED else {})


@pytest.mark.parametrize("name", ALL_NAMES)
def test_get_and_serialize_round_trip(name):
    cls = getattr(I, name)                     # the lower-case alias
    assert cls is type(I.get(name))
    camel = cls.__name__
    assert type(I.get(camel)) is cls           # class names work too
    assert isinstance(I.get(cls), cls)         # a class gives a new instance
    init = cls(**_non_default(name))
    assert I.get(init) is init
    config = I.serialize(init)
    assert config == {"class_name": camel, "config": init.get_config()}
    rebuilt = I.get(config)
    assert type(rebuilt) is cls and rebuilt.get_config() == init.get_config()
    assert cls.from_config(init.get_config()).get_config() == init.get_config()
    if "seed" in init.get_config() and init.seed is not None:
        np.testing.assert_array_equal(rebuilt((6, 4)), init((6, 4)))


def test_get_other_identifiers():
    assert I.get(None) is None

    def my_init(shape, dtype=None):
        return np.full(shape, 0.25, dtype=dtype)
    assert I.get(my_init) is my_init
    assert type(I.get("uniform")) is I.RandomUniform and type(I.get("normal")) is I.RandomNormal
    assert type(I.get("OrthogonalInitializer")) is I.Orthogonal
    assert type(I.get("HE_NORMAL")) is I.HeNormal             # case-insensitive fallback
    assert I.deserialize({"class_name": "Zeros"}).get_config() == {}


def test_get_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown initializer 'xavier'.*glorot_uniform.*he_normal"):
        I.get("xavier")
    with pytest.raises(ValueError, match="could not interpret"):
        I.get(42)
    with pytest.raises(ValueError, match="subclass"):
        I.get(dict)
    with pytest.raises(ValueError, match="class_name"):
        I.get({"config": {}})
    with pytest.raises(ValueError, match="Initializer instances"):
        I.serialize(lambda shape, dtype=None: np.zeros(shape))


@pytest.mark.parametrize("make, argument", [
    (lambda: I.VarianceScaling(scale=0.0), "`scale`"),
    (lambda: I.VarianceScaling(scale=float("nan")), "`scale`"),
    (lambda: I.VarianceScaling(mode="fan_sum"), "`mode`"),
    (lambda: I.VarianceScaling(distribution="gamma"), "`distribution`"),
    (lambda: I.RandomNormal(stddev=-1.0), "`stddev`"),
    (lambda: I.TruncatedNormal(mean=float("inf")), "`mean`"),
    (lambda: I.RandomUniform(minval=1.0, maxval=0.0), "`maxval`"),
    (lambda: I.RandomUniform(minval="a"), "`minval`"),
    (lambda: I.GlorotUniform(seed=-1), "`seed`"),
    (lambda: I.HeNormal(seed=1.5), "`seed`"),
    (lambda: I.Orthogonal(gain=None), "`gain`"),
    (lambda: I.Zeros()((2, -1)), "`shape`"),
    (lambda: I.Ones()("ab"), "`shape`"),
])
def test_bad_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()
