"""The live trainer: a run in a thread, the lock handed over between steps, a pace (no Textual)."""

import threading
import time

import numpy as np
import pytest

from gradstep.edits import SetWeight
from gradstep.live import PACES, LiveTrainer, pace_words
from helpers import regression, trainer


def wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_a_run_steps_until_stopped_and_stop_waits_for_the_thread():
    live = LiveTrainer(trainer((3, 4, 1), batch_size=5))
    live.start()
    assert live.running
    wait(lambda: live.target.step_count > 100)
    live.stop()
    assert not live.running
    stopped = live.target.step_count
    time.sleep(0.05)
    assert live.target.step_count == stopped


def test_a_mutate_while_running_lands_between_two_steps():
    t = trainer((3, 4, 1), batch_size=5)
    live = LiveTrainer(t)
    live.start()
    wait(lambda: t.step_count > 50)
    with live.hold():  # no step runs while the lock is held, however long
        steps, params = t.step_count, t.network.params.copy()
        time.sleep(0.05)
        assert t.step_count == steps
        np.testing.assert_array_equal(t.network.params, params)
        t.apply(SetWeight(0, 0, 0, 7.0))
        assert t.network.weights[0][0, 0] == 7.0
    wait(lambda: t.step_count > steps + 50)  # and the run goes on after it
    live.stop()
    assert t.history.edits == [steps]


def test_the_hand_over_takes_one_step_not_a_chunk():
    t = trainer((3, 4, 1), batch_size=5)
    live = LiveTrainer(t)
    live.start()
    wait(lambda: t.step_count > 50)
    waits = []
    for _ in range(20):
        start = time.perf_counter()
        with live.hold():
            waits.append(time.perf_counter() - start)
        time.sleep(0.005)
    live.stop()
    assert sorted(waits)[10] < 0.02  # a chunk is 20 ms: the median wait is far below it


@pytest.mark.parametrize("pace", [20, 60])
def test_a_pace_holds_its_steps_per_second_within_ten_percent(pace):
    t = trainer((3, 4, 1), regression(n=50), batch_size=5)  # 10 steps an epoch
    live = LiveTrainer(t, pace=pace)
    live.start()
    start_steps, start = t.step_count, time.perf_counter()
    time.sleep(2.0)
    with live.hold():
        steps, elapsed = t.step_count - start_steps, time.perf_counter() - start
    live.stop()
    assert steps / elapsed == pytest.approx(pace * t.steps_per_epoch, rel=0.10)


def test_a_new_pace_applies_while_running():
    t = trainer((3, 4, 1), regression(n=50), batch_size=5)
    live = LiveTrainer(t, pace=5)
    live.start()
    time.sleep(0.3)
    slow = t.step_count
    live.set_pace(None)
    time.sleep(0.3)
    live.stop()
    assert slow < 30 and t.step_count > 10 * slow


def test_two_live_trainers_run_at_once():
    a, b = trainer((3, 4, 1), seed=1), trainer((3, 4, 1), seed=2)
    runs = [LiveTrainer(a), LiveTrainer(b, pace=50)]
    for live in runs:
        live.start()
    wait(lambda: a.step_count > 200 and b.step_count > 20)
    assert all(live.running for live in runs)
    for live in runs:
        live.stop()
    assert not any(live.running for live in runs)


def test_a_diverging_run_stops_by_itself_and_says_so():
    t = trainer((3, 8, 1), activations="relu", learning_rate=1e5, batch_size=40)
    stopped = threading.Event()
    live = LiveTrainer(t, on_stop=lambda diverged: diverged and stopped.set())
    live.start()
    assert stopped.wait(10)
    wait(lambda: not live.running)
    assert t.diverged


def test_a_stopped_run_does_not_call_on_stop():
    calls = []
    live = LiveTrainer(trainer((3, 4, 1)), on_stop=calls.append)
    live.start()
    time.sleep(0.05)
    live.stop()
    assert calls == []


def test_the_pace_ladder_ends_in_max():
    assert PACES[-1] is None and list(PACES[:-1]) == sorted(PACES[:-1])
    assert pace_words(None) == "max" and pace_words(5) == "5 epoch/s"
