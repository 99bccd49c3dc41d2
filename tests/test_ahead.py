"""Work forked ahead (``portal/ahead.py``): children compute shares of a map while the build's
process goes on; the result comes back whole and in order, whatever happens to a child."""

from __future__ import annotations

import io
import os
import signal
import time

import pytest

import portal.ahead
from portal.ahead import ForkedMap, worker_count

PARENT = os.getpid()


def square(index: int) -> tuple[int, int]:
    return index * index, os.getpid()


def test_the_map_comes_back_in_order_from_forked_children(monkeypatch):
    monkeypatch.setattr(portal.ahead, "BATCH", 7)  # several messages from each child
    work = ForkedMap(square, 1001, 3)
    assert work.forked
    result = work.result()
    assert [value for value, _ in result] == [i * i for i in range(1001)]
    makers = {pid for _, pid in result}
    assert len(makers) == 3 and PARENT not in makers
    assert not work.forked  # collected: nothing left to wait for


def test_a_small_map_is_computed_in_this_process_when_asked_for():
    calls = []
    work = ForkedMap(lambda i: calls.append(i) or square(i), portal.ahead.MINIMUM - 1, 2)
    assert not work.forked and calls == []
    result = work.result()
    assert [value for value, _ in result] == [i * i for i in range(portal.ahead.MINIMUM - 1)]
    assert {pid for _, pid in result} == {PARENT}


def test_one_worker_or_no_fork_means_no_children(monkeypatch):
    assert worker_count(10_000) == max(1, min(os.cpu_count() or 1, 8))
    assert worker_count(portal.ahead.MINIMUM - 1) == 1
    assert not ForkedMap(square, 500, 1).forked
    monkeypatch.delattr(os, "fork")
    assert worker_count(10_000) == 1
    assert not ForkedMap(square, 500, 2).forked


def failing_in_children(index: int) -> int:
    if os.getpid() != PARENT and index % 2 == 1:
        raise RuntimeError("a child's failure")
    return index


def test_the_share_of_a_failed_child_is_computed_again_here():
    work = ForkedMap(failing_in_children, 400, 2)
    assert work.forked
    assert work.result() == list(range(400))


def killed_in_a_child(index: int) -> int:
    if os.getpid() != PARENT and index == 301:
        os.kill(os.getpid(), signal.SIGKILL)
    return index + 1


def test_the_share_of_a_killed_child_is_computed_again_here(monkeypatch):
    monkeypatch.setattr(portal.ahead, "BATCH", 10)  # killed after sending some of its share
    assert ForkedMap(killed_in_a_child, 400, 2).result() == list(range(1, 401))


def always_failing(index: int) -> int:
    if index == 250:
        raise ValueError("bad item 250")
    return index


def test_an_error_of_the_function_itself_is_raised_here():
    work = ForkedMap(always_failing, 400, 2)
    with pytest.raises(ValueError, match=r"^bad item 250$"):
        work.result()


def sleeping(index: int) -> int:
    time.sleep(60)
    return index


def test_close_stops_and_reaps_children_whose_result_is_not_wanted():
    work = ForkedMap(sleeping, 400, 2)
    children = [pid for pid, _ in work._children]
    assert len(children) == 2
    started = time.monotonic()
    work.close()
    assert time.monotonic() - started < 10
    for pid in children:
        with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
            os.waitpid(pid, os.WNOHANG)
    assert not work.forked


def test_batches_cut_anywhere_by_the_pipe_are_joined_whole():
    from portal.ahead import _Frames, _send

    stream = io.BytesIO()
    _send(stream, [1, 2, 3])
    _send(stream, [])
    _send(stream, ["bốn"])
    frames = _Frames()
    for byte in stream.getvalue():
        frames.feed(bytes([byte]))
    assert frames.values == [1, 2, 3, "bốn"]


def slow_first(index: int) -> int:
    if index < 2:
        time.sleep(0.3)
    return index


def test_busy_until_a_child_has_sent_its_work():
    work = ForkedMap(slow_first, 400, 2)
    assert work.busy()
    deadline = time.monotonic() + 30
    while work.busy() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not work.busy()
    assert work.result() == list(range(400))
    assert not ForkedMap(slow_first, portal.ahead.MINIMUM - 1, 2).busy()  # nothing forked


def test_children_reaped_unseen_still_count_when_they_sent_everything(monkeypatch):
    """With SIGCHLD ignored the kernel reaps children at once and ``waitpid`` finds none: a
    share is judged by what it sent (a killed child's share is still computed again)."""
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        result = ForkedMap(square, 400, 2).result()
        assert [value for value, _ in result] == [i * i for i in range(400)]
        assert PARENT not in {pid for _, pid in result}
        monkeypatch.setattr(portal.ahead, "BATCH", 10)
        assert ForkedMap(killed_in_a_child, 400, 2).result() == list(range(1, 401))
        work = ForkedMap(sleeping, 400, 2)
        work.close()
        assert not work.forked
    finally:
        signal.signal(signal.SIGCHLD, previous)
