"""Work sharing over forked processes: every task once, errors raised, lost work redone."""

from __future__ import annotations

import gc
import multiprocessing
import os
import time

import pytest

from matchmaker.matching import parallel
from matchmaker.matching.parallel import WorkerError, fork_map, gc_paused

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform")


def _run(fn, tasks, workers=2, **kw):  # type: ignore[no-untyped-def]
    got: dict[int, object] = {}

    def collect(i: int, result: object) -> None:
        assert i not in got  # each task is handled once
        got[i] = result

    fork_map(fn, tasks, workers, collect, **kw)
    return got


def test_every_task_is_computed_once_and_children_share_the_work() -> None:
    def task(x: int) -> tuple[int, int]:
        time.sleep(0.005)  # long enough for every process to claim some
        return x * x, os.getpid()

    got = _run(task, list(range(60)), workers=3)
    assert {i: r[0] for i, r in got.items()} == {i: i * i for i in range(60)}  # type: ignore[index]
    assert len({r[1] for r in got.values()}) >= 2  # type: ignore[index]


def test_one_worker_or_one_task_runs_here() -> None:
    assert _run(lambda x: os.getpid(), [1, 2, 3], workers=1) == dict.fromkeys(range(3), os.getpid())
    assert _run(lambda x: os.getpid(), [1], workers=4) == {0: os.getpid()}


def test_in_child_runs_in_each_child_before_its_tasks() -> None:
    state = {"child": False}

    def mark() -> None:
        state["child"] = True

    def task(x: int) -> tuple[int, bool]:
        return os.getpid(), state["child"]

    got = _run(task, list(range(50)), in_child=mark)
    for pid, in_child in got.values():  # type: ignore[misc]
        assert in_child == (pid != os.getpid())
    assert state["child"] is False  # never in this process


def test_an_error_in_a_child_is_raised_here() -> None:
    parent = os.getpid()

    def task(x: int) -> int:
        if os.getpid() != parent:
            raise ValueError("bad task")
        time.sleep(0.002)  # leaves tasks for the child to claim
        return x

    with pytest.raises(WorkerError, match="ValueError: bad task"):
        _run(task, list(range(100)))


def test_the_tasks_of_a_child_that_dies_are_redone_here() -> None:
    parent = os.getpid()

    def task(x: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # killed mid-task, nothing sent
        time.sleep(0.002)  # leaves tasks for the child to claim
        return x + 1

    assert _run(task, list(range(40))) == {i: i + 1 for i in range(40)}


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_an_error_here_stops_the_children_and_is_raised() -> None:
    def task(x: int) -> int:
        time.sleep(0.002)
        return x

    def collect(i: int, result: int) -> None:
        if i == 5:
            raise KeyError("stop")

    before = set(multiprocessing.active_children())
    with pytest.raises(KeyError):
        fork_map(task, list(range(500)), 2, collect)
    assert set(multiprocessing.active_children()) == before  # no child left running


def test_a_failing_child_setup_is_raised_here() -> None:
    def setup() -> None:
        raise RuntimeError("no setup")

    def task(x: int) -> int:
        time.sleep(0.002)
        return x

    with pytest.raises(WorkerError, match="RuntimeError: no setup"):
        _run(task, list(range(50)), in_child=setup)
