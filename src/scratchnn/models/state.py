"""``model.snapshot()``: save everything training changes in a model, and put it back.

A tool that looks inside a model while it trains (its gradients on a probe batch, its
activations in training mode) or tries something on it (a learning-rate finder) must leave
the model exactly as it found it, so that the user's ``fit`` goes on as if nothing happened::

    with model.snapshot():                   # restored when the block ends, even on an error
        y = model(x, training=True)          # dropout draws, BatchNormalization's statistics move
        loss = model.compute_loss(y_true, y)
        loss.backward()                      # every weight's .grad changes
    # the model, its optimizer and the random generators are as before the block

What is saved (``ModelState``):

* every weight's values (trainable ones, and non-trainable ones such as BatchNormalization's
  moving mean and variance), its ``.grad`` and its ``requires_grad`` flag; layers that were not
  built yet are unbuilt again (a ``fit`` inside the block builds them);
* each layer's activity penalties of the last call (``layer.losses``);
* the optimizer's step count, learning rate (or schedule), optimizer-wide state and every slot
  (moments), when compiled;
* the random generators the model draws from: the global one (``scratchnn.random``) and each
  layer's own (``layer.random_generators()``).
"""
from .. import random as _random


class ModelState:
    """A saved state of ``model``; ``restore()`` puts it back (as often as needed).

    ``weights``, ``optimizer`` and ``random`` choose what is saved (all by default). Used as a
    context manager it restores the state when the block ends.
    """

    def __init__(self, model, weights=True, optimizer=True, random=True):
        self.model = model
        layers = list(model.walk())
        self._unbuilt = model._unbuilt_layers() if weights else []      # a build inside is undone
        self._weights = [(w, w.data.copy(), w.grad, None if w.grad is None else w.grad.copy(),
                          w.requires_grad) for w in model.weights] if weights else []
        self._activity = [(layer, list(layer.activity_losses)) for layer in layers] if weights else []
        opt = getattr(model, "optimizer", None)
        self._optimizer = (opt, opt.snapshot_state()) if optimizer and opt is not None else None
        self._random = None
        if random:
            own = {id(g): g for layer in layers for g in layer.random_generators()}
            self._random = (_random.get_state(), [(g, g.bit_generator.state) for g in own.values()])

    def restore(self):
        """Put every saved value back in place (the weight arrays keep their identity)."""
        built_inside = [layer for layer in self._unbuilt if layer.built]
        if built_inside:
            self.model._unbuild(built_inside)
        for w, data, grad, grad_values, requires in self._weights:
            w.data[...] = data
            if grad is not None:                       # the same array, with its values
                grad[...] = grad_values
            w.grad, w.requires_grad = grad, requires
        for layer, losses in self._activity:
            layer.activity_losses = list(losses)
        if self._optimizer is not None:
            opt, saved = self._optimizer
            opt.restore_state(saved)
        if self._random is not None:
            global_state, own = self._random
            _random.set_state(global_state)
            for generator, position in own:
                generator.bit_generator.state = position

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()
        return False
