"""``scratchnn.registry``: every name that stands for an object ('relu', 'adam', 'Dense', ...).

How a name is looked up: exactly as written; else ignoring case when that picks one object;
else among the objects *you* registered (``register_serializable``) that this kind accepts.
Anything else raises ``UnknownNameError`` with suggestions, the valid names and how to register.
``get`` / ``serialize`` / ``deserialize`` follow Keras's ``get`` functions. Each module's
``get`` (``optimizers.get``, ``losses.get``, ...) goes through these registries.

The tests register objects only inside fixtures that restore the registries afterwards.
"""
import numpy as np
import pytest

import scratchnn  # noqa: F401  (fills every registry)
from scratchnn import callbacks, constraints, initializers, layers, losses, metrics, optimizers, registry
from scratchnn import functional as F
from scratchnn import regularizers
from scratchnn.keras import activations as keras_activations
from scratchnn.metrics import per_sample
from scratchnn.registry import Registry, UnknownNameError
from scratchnn.saving import custom_object_scope, register_serializable


@pytest.fixture(autouse=True)
def restore_custom_objects(monkeypatch):
    """Whatever a test registers with register_serializable is forgotten afterwards."""
    monkeypatch.setattr(registry.custom, "objects", dict(registry.custom.objects))


@pytest.fixture
def fresh_kinds(monkeypatch):
    """Registries a test creates (each kind may exist once) disappear with the test."""
    monkeypatch.setattr(registry, "_BY_KIND", dict(registry._BY_KIND))


class Alpha:
    pass


class Beta:
    pass


class Scale(layers.Layer):
    """A custom layer: multiplies its input by ``factor``."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs, training=False):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def twice(x):
    """A custom activation."""
    return x * 2.0


# ================================================================== the kinds filled by `import scratchnn`
def test_import_scratchnn_fills_one_registry_per_kind():
    assert registry.kinds() == ["activation", "callback", "constraint", "initializer", "layer",
                                "learning-rate schedule", "loss", "loss function", "metric",
                                "metric function", "optimizer", "regularizer"]


@pytest.mark.parametrize("kind, name, expected", [
    ("activation", "relu", F.relu),
    ("loss", "mean_squared_error", losses.MeanSquaredError),
    ("loss function", "mse", F.mean_squared_error),
    ("metric", "mae", metrics.MeanAbsoluteError),
    ("metric function", "mean_absolute_error", per_sample.mean_absolute_error),
    ("optimizer", "adam", optimizers.Adam),
    ("initializer", "he_normal", initializers.HeNormal),
    ("regularizer", "l2", regularizers.L2),
    ("constraint", "max_norm", constraints.MaxNorm),
    ("layer", "Dense", layers.Dense),
    ("layer", "Sequential", scratchnn.Sequential),
    ("callback", "EarlyStopping", callbacks.EarlyStopping),
])
def test_module_functions_names_and_lookup(kind, name, expected):
    assert registry.lookup(kind, name) is expected
    assert name in registry.names(kind)
    assert registry.get_registry(kind).lookup(name) is expected


def test_the_documented_name_lists():
    assert registry.names("optimizer") == ["adadelta", "adagrad", "adam", "adamax", "adamw", "nadam",
                                           "rmsprop", "sgd"]
    assert "Sequential" in registry.names("layer") and "Dense" in registry.names("layer")
    assert registry.names("layer") == sorted(registry.names("layer"))


def test_an_unknown_kind_is_refused_with_a_suggestion_and_the_kinds():
    with pytest.raises(ValueError, match=r"no registry of 'optimiser' objects; did you mean 'optimizer'\? "
                                         r"kinds: \['activation', "):
        registry.names("optimiser")


def test_a_kind_is_registered_once(fresh_kinds):
    Registry("test kind")
    with pytest.raises(ValueError, match="a registry of 'test kind' objects exists already"):
        Registry("test kind")


# ================================================================== lookup: exact, then any case
def test_exact_names():
    table = registry.get_registry("optimizer")
    assert table.lookup("sgd") is optimizers.SGD
    assert table["adamw"] is optimizers.AdamW and "adamw" in table
    assert table.find("no such optimizer") is None and "no such optimizer" not in table
    assert table.find(3) is None          # only strings are names


@pytest.mark.parametrize("kind, name, expected", [
    ("optimizer", "ADAM", optimizers.Adam), ("optimizer", "RMSProp", optimizers.RMSprop),
    ("activation", "ReLU", F.relu), ("loss", "MSE", losses.MeanSquaredError),
    ("metric", "MAE", metrics.MeanAbsoluteError), ("initializer", "HeNormal", initializers.HeNormal),
    ("initializer", "GLOROT_uniform", initializers.GlorotUniform), ("layer", "dense", layers.Dense),
    ("callback", "earlystopping", callbacks.EarlyStopping),
])
def test_case_is_ignored_when_it_picks_one_object(kind, name, expected):
    assert registry.lookup(kind, name) is expected


def test_a_name_that_differs_only_in_case_from_two_objects_is_ambiguous(fresh_kinds):
    table = Registry("test ambiguity")
    table.add(Alpha, "Thing")
    table.add(Beta, "THING")
    assert table.lookup("Thing") is Alpha and table.lookup("THING") is Beta     # exact names still work
    assert table.find("thing") is None
    with pytest.raises(UnknownNameError, match="unknown test ambiguity 'thing'"):
        table.lookup("thing")


def test_several_spellings_of_one_object_are_not_ambiguous(fresh_kinds):
    table = Registry("test spellings")
    table.add(Alpha, "alpha")
    table.alias("ALPHA", Alpha)
    assert table.lookup("Alpha") is Alpha


# ================================================================== your registered objects
def test_registered_objects_are_found_by_their_registered_name():
    register_serializable()(Scale)
    register_serializable(name="double")(twice)
    assert registry.lookup("layer", "Scale") is Scale
    assert registry.lookup("activation", "double") is twice
    assert registry.name_of("layer", Scale) == "Scale"
    assert registry.name_of("activation", twice) == "double"


def test_a_kind_finds_only_the_registered_objects_it_accepts():
    register_serializable()(Scale)
    register_serializable()(twice)
    assert registry.get_registry("layer").find("twice") is None          # a function is not a layer
    assert registry.get_registry("optimizer").find("Scale") is None      # a layer is not an optimizer
    with pytest.raises(UnknownNameError, match="unknown optimizer 'Scale'"):
        registry.lookup("optimizer", "Scale")


def test_the_accepts_predicate_of_a_registry(fresh_kinds):
    register_serializable()(Alpha)
    register_serializable()(Beta)
    table = Registry("test accepts", accepts=lambda obj: obj is Beta)
    assert table.find("Beta") is Beta and table.find("Alpha") is None
    by_base = Registry("test base", base=Alpha)
    assert by_base.find("Alpha") is Alpha and by_base.find("Beta") is None   # base: subclasses of it


def test_built_in_names_come_before_registered_ones():
    class Impostor(optimizers.SGD):
        pass
    register_serializable(name="adam")(Impostor)
    assert registry.lookup("optimizer", "adam") is optimizers.Adam
    assert registry.lookup("optimizer", "Adam") is optimizers.Adam


def test_register_custom_uses_the_name_or_asks_for_one():
    registry.register_custom(Scale)
    assert registry.lookup("layer", "Scale") is Scale
    registry.register_custom(Scale, name="Scaler")
    assert registry.lookup("layer", "Scaler") is Scale
    with pytest.raises(ValueError, match=r"register_custom: .* has no __name__; pass name="):
        registry.register_custom(np.float64(1.0))


# ================================================================== custom_scope
def test_custom_scope_adds_names_for_the_block_only():
    with registry.custom_scope({"Scale": Scale}):
        assert registry.lookup("layer", "Scale") is Scale
    assert registry.get_registry("layer").find("Scale") is None


def test_custom_scope_restores_the_previous_entry_even_on_error():
    class Other(layers.Layer):
        pass
    register_serializable(name="Scale")(Other)
    with pytest.raises(RuntimeError, match="inside"):
        with registry.custom_scope({"Scale": Scale, "Brand": Alpha}):
            assert registry.lookup("layer", "Scale") is Scale
            raise RuntimeError("inside")
    assert registry.lookup("layer", "Scale") is Other
    assert "Brand" not in registry.custom.objects


def test_savings_custom_object_scope_is_the_same_scope():
    with custom_object_scope({"Scale": Scale}):
        assert layers.deserialize({"class_name": "Scale", "config": {"factor": 3.0}}).factor == 3.0
    assert "Scale" not in registry.custom.objects


# ================================================================== the error for an unknown name
def test_unknown_name_error_says_the_kind_the_name_suggestions_names_and_how_to_register():
    with pytest.raises(UnknownNameError) as info:
        registry.lookup("optimizer", "adma")
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.kind, err.name) == ("optimizer", "adma")
    assert "adam" in err.suggestions
    message = str(err)
    assert message.startswith("unknown optimizer 'adma'; did you mean ")
    assert "'adam'" in message.split("valid names")[0]
    assert str(registry.names("optimizer")) in message
    assert "(or a class name such as 'Adam')" in message
    assert "@scratchnn.saving.register_serializable()" in message
    assert "custom_objects={'adma': ...}" in message


def test_unknown_name_without_close_names_makes_no_suggestion():
    with pytest.raises(UnknownNameError) as info:
        registry.lookup("activation", "zzzzzz")
    assert info.value.suggestions == []
    assert "did you mean" not in str(info.value)
    assert "valid names: ['elu', " in str(info.value)


def test_suggestions_include_your_registered_objects():
    register_serializable()(Scale)
    with pytest.raises(UnknownNameError) as info:
        registry.lookup("layer", "Scal")
    assert "Scale" in info.value.suggestions


# ================================================================== listed names and accepted aliases
def test_add_lists_its_name_and_aliases_alias_is_accepted_but_not_listed(fresh_kinds):
    table = Registry("test listing")
    table.add(Alpha, "alpha", aliases=("a",))
    table.alias("AlphaClass", Alpha)
    assert table.names() == ["a", "alpha"] and list(table) == ["a", "alpha"] and len(table) == 2
    assert table.items() == [("a", Alpha), ("alpha", Alpha)]
    assert ("AlphaClass", Alpha) in table.entries()
    assert table.lookup("AlphaClass") is Alpha and "AlphaClass" in table
    assert table.name_of(Alpha) in ("a", "alpha")
    assert table.name_of(Beta) is None
    with pytest.raises(UnknownNameError) as info:
        table.lookup("nothing")
    assert "AlphaClass" not in str(info.value).split("valid names")[1]


@pytest.mark.parametrize("kind, alias_name, expected", [
    ("loss", "MeanSquaredError", losses.MeanSquaredError),
    ("initializer", "HeNormal", initializers.HeNormal),
    ("metric", "Precision", metrics.Precision),
    ("constraint", "MaxNorm", constraints.MaxNorm),
])
def test_class_names_are_accepted_but_not_listed(kind, alias_name, expected):
    assert alias_name not in registry.names(kind)
    assert registry.lookup(kind, alias_name) is expected


def test_name_of_gives_the_listed_name():
    assert registry.name_of("optimizer", optimizers.Adam) == "adam"
    assert registry.name_of("loss", losses.MeanSquaredError) == "mean_squared_error"
    assert registry.name_of("activation", F.relu) == "relu"
    assert registry.name_of("layer", Scale) is None                     # not registered


# ================================================================== get / serialize / deserialize
def test_get_resolves_every_kind_of_identifier_as_keras_does():
    table = registry.get_registry("initializer")
    assert table.get(None) is None
    from_name = table.get("he_normal")
    assert type(from_name) is initializers.HeNormal and table.get("he_normal") is not from_name
    from_dict = table.get({"class_name": "RandomNormal", "config": {"stddev": 0.25}})
    assert type(from_dict) is initializers.RandomNormal and from_dict.stddev == 0.25
    assert type(table.get(initializers.Ones)) is initializers.Ones
    instance = initializers.Zeros()
    assert table.get(instance) is instance

    def plain(shape, dtype=None):
        return np.zeros(shape)
    assert table.get(plain) is plain        # initializers accept a callable f(shape, dtype)


def test_get_refuses_what_it_cannot_interpret():
    init = registry.get_registry("initializer")
    with pytest.raises(ValueError, match=r"could not interpret initializer identifier 3: expected None, a "
                                         r"name \(one of \['constant', .*\]\), a config dict, an Initializer "
                                         r"or a callable f\(shape, dtype\)"):
        init.get(3)
    with pytest.raises(ValueError, match=r"could not interpret initializer identifier <class 'int'>: a class "
                                         r"must subclass scratchnn.initializers.Initializer"):
        init.get(int)
    with pytest.raises(ValueError, match=r"could not interpret optimizer identifier .*lambda.*: expected "
                                         r"None, a name \(one of \['adadelta', .*\]\), a config dict, an "
                                         r"Optimizer\.$"):
        registry.get_registry("optimizer").get(lambda: None)      # optimizers are not plain callables


def test_serialize_and_deserialize_round_trip():
    table = registry.get_registry("optimizer")
    config = table.serialize(optimizers.Adam(learning_rate=0.05, beta_1=0.8))
    assert config["class_name"] == "Adam" and config["config"]["learning_rate"] == 0.05
    rebuilt = table.deserialize(config)
    assert type(rebuilt) is optimizers.Adam and rebuilt.get_config() == config["config"]
    assert type(table.deserialize("sgd")) is optimizers.SGD


def test_a_registered_class_is_serialized_under_its_registered_name():
    class Halves(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 0.5, dtype=dtype)
    register_serializable(name="my_halves")(Halves)
    table = registry.get_registry("initializer")
    config = table.serialize(Halves())
    assert config == {"class_name": "my_halves", "config": {}}
    assert type(table.deserialize(config)) is Halves


def test_serialize_and_deserialize_refuse_bad_input():
    table = registry.get_registry("optimizer")
    with pytest.raises(ValueError, match=r"only Optimizer instances can be serialized, got 'adam'"):
        table.serialize("adam")
    with pytest.raises(ValueError, match=r"an optimizer config must be a dict with 'class_name' and 'config' "
                                         r"keys, got \['adam'\]"):
        table.deserialize(["adam"])
    with pytest.raises(UnknownNameError, match="unknown optimizer 'Adamm'"):
        table.deserialize({"class_name": "Adamm", "config": {}})


def test_get_on_a_registry_of_functions_returns_the_function():
    assert registry.get_registry("activation").get("relu") is F.relu           # keras.activations.get


def test_serialize_on_a_registry_without_base_class_raises_a_clear_error():
    with pytest.raises(ValueError, match="activation objects are functions, saved by name"):
        registry.get_registry("activation").serialize(F.relu)


def test_get_a_class_on_a_registry_without_base_class_raises_a_clear_error():
    with pytest.raises(ValueError, match="could not interpret activation identifier"):
        registry.get_registry("activation").get(int)


# ================================================================== each module's get goes through them
@pytest.mark.parametrize("resolve, name, expected_type", [
    (optimizers.get, "ADAM", optimizers.Adam),
    (losses.get, "MSE", losses.MeanSquaredError),
    (losses.get, "Huber", losses.Huber),
    (metrics.get, "MAE", metrics.MeanAbsoluteError),
    (initializers.get, "HeNormal", initializers.HeNormal),
    (regularizers.get, "L1L2", regularizers.L1L2),
    (constraints.get, "NonNeg", constraints.NonNeg),
    (callbacks.get, "earlystopping", callbacks.EarlyStopping),
])
def test_each_modules_get_resolves_names_through_the_registry(resolve, name, expected_type):
    assert type(resolve(name)) is expected_type


def test_activation_get_ignores_case():
    assert keras_activations.get("ReLU") is F.relu
    assert F.get_activation("Tanh") is F.tanh
    assert layers.Dense(2, activation="ReLU").activation is F.relu


def test_metric_names_are_kept_as_written():
    assert metrics.get("MAE").name == "MAE"


@pytest.mark.parametrize("resolve, kind", [
    (optimizers.get, "optimizer"), (losses.get, "loss"), (metrics.get, "metric"),
    (initializers.get, "initializer"), (F.get_activation, "activation"), (callbacks.get, "callback"),
])
def test_each_modules_get_raises_the_registry_error(resolve, kind):
    with pytest.raises(UnknownNameError, match=f"unknown {kind} 'no_such_thing'"):
        resolve("no_such_thing")


def test_each_modules_get_finds_your_registered_objects():
    @register_serializable()
    class Steady(optimizers.SGD):
        pass

    @register_serializable()
    class Halves(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 0.5, dtype=dtype)

    @register_serializable()
    def my_error(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=-1)

    @register_serializable()
    def my_score(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).mean(axis=-1)

    register_serializable()(twice)
    register_serializable()(Scale)

    assert type(optimizers.get("Steady")) is Steady
    assert type(initializers.get("Halves")) is Halves
    assert F.get_activation("twice") is twice
    assert layers.Dense(2, activation="twice").activation is twice
    wrapped = losses.get("my_error")
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.function is my_error
    metric = metrics.get("my_score")
    assert isinstance(metric, metrics.MeanMetricWrapper)
    metric.update_state(np.array([[1.0], [2.0]]), np.array([[1.5], [2.0]]))
    assert float(metric.result()) == pytest.approx(0.25)
    layer = layers.deserialize({"class_name": "Scale", "config": {"factor": 3.0, "name": "scale_x"}})
    assert type(layer) is Scale and layer.factor == 3.0 and layer.name == "scale_x"
    assert layers.serialize(layer)["class_name"] == "Scale"
