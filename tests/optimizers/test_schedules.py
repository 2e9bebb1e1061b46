"""Learning-rate schedules (``scratchnn/optimizers/schedules.py``): their formulas, and the step
size they give an optimizer.
"""
import math

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import optimizers as opt
from scratchnn.optimizers import schedules


# ----------------------------------------------------------------- learning rate
def test_schedule_sets_the_step_size():
    sched = schedules.PiecewiseConstantDecay([1, 3], [1.0, 0.5, 0.1])
    w = snn.Tensor(np.zeros(1), dtype=np.float64)
    o = opt.SGD(sched)
    moves = []
    for _ in range(6):
        before = w.data.copy()
        assert o.learning_rate == sched(o.iterations)
        o.apply([np.ones(1)], [w])
        moves.append(float(before[0] - w.data[0]))
    assert moves == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1, 0.1])    # steps 0..5
    with pytest.raises(TypeError, match="schedule"):
        o.learning_rate = 0.3


def test_schedule_formulas():
    s = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert s(0) == 0.1 and s(5) == pytest.approx(0.1 * 0.5 ** 0.5) and s(20) == pytest.approx(0.025)
    s = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert s(9) == 0.1 and s(10) == pytest.approx(0.05) and s(25) == pytest.approx(0.025)
    s = schedules.InverseTimeDecay(0.1, 10, 2.0)
    assert s(5) == pytest.approx(0.1 / 2.0) and s(10) == pytest.approx(0.1 / 3)
    s = schedules.InverseTimeDecay(0.1, 10, 2.0, staircase=True)
    assert s(9) == 0.1 and s(10) == pytest.approx(0.1 / 3)
    s = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(k) for k in (0, 10, 11, 20, 21, 100)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    s = schedules.CosineDecay(0.1, 100, alpha=0.1)
    for k in (0, 25, 50, 100, 150):
        c = 0.5 * (1 + math.cos(math.pi * min(k, 100) / 100))
        assert s(k) == pytest.approx(0.1 * (0.9 * c + 0.1))
    assert s(100) == pytest.approx(0.01) and s(150) == pytest.approx(0.01)
    s = schedules.CosineDecay(0.0, 100, warmup_target=0.2, warmup_steps=10)
    assert s(0) == 0.0 and s(5) == pytest.approx(0.1) and s(10) == pytest.approx(0.2)
    assert s(60) == pytest.approx(0.1) and s(110) == pytest.approx(0.0, abs=1e-12)
    for sched in (schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
                  schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
                  schedules.CosineDecay(0.1, 100, 0.1, warmup_target=0.3, warmup_steps=5),
                  schedules.InverseTimeDecay(0.1, 10, 2.0)):
        again = schedules.deserialize(schedules.serialize(sched))
        assert [again(k) for k in range(0, 120, 7)] == [sched(k) for k in range(0, 120, 7)]
