"""Work sharing over forked processes for the engine's large batches.

The index (hundreds of MB of arrays) is shared copy-on-write by ``fork``: nothing is pickled
on the way in, and only compact results come back. Tasks are claimed one at a time from a
shared counter, so a process that runs slower (a busy core) simply takes fewer of them, and
this process works on tasks too while a reader thread keeps the children's pipes drained
(a child never waits for the parent to finish its own task before sending).

Where ``fork`` is missing (Windows, macOS spawn-only builds) everything runs here.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import queue
import tempfile
import threading

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def can_fork() -> bool:
    return fcntl is not None and "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Suspend the cyclic garbage collector for a bulk step.

    The engine's batches create millions of acyclic objects (tuples, strings, proposals);
    each generation-2 collection then walks every object of the process (the offers, the
    index), which costs more than the step itself. Reference counting still frees memory."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class WorkerError(RuntimeError):
    """A task raised an exception in a forked worker."""


def fork_map(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    workers: int,
    on_result: Callable[[int, R], None],
    *,
    in_child: Callable[[], None] | None = None,
) -> None:
    """Call ``on_result(i, fn(tasks[i]))`` for every task, in this process, in any order.

    ``workers - 1`` children are forked; they and this process claim tasks until none is
    left. ``in_child`` runs once in each child before its first task. A child that dies has
    its unfinished tasks redone here; an exception in a child is raised here as
    :class:`WorkerError` (after the other results were handled)."""
    n = len(tasks)
    if workers <= 1 or n <= 1 or not can_fork():
        for i, task in enumerate(tasks):
            on_result(i, fn(task))
        return
    ctx = multiprocessing.get_context("fork")
    claim = _Counter(ctx)
    procs: list[Any] = []
    readers: list[threading.Thread] = []
    inbox: queue.SimpleQueue[tuple[str, int, Any]] = queue.SimpleQueue()
    done: set[int] = set()
    errors: list[str] = []
    open_pipes = 0

    def handle(item: tuple[str, int, Any]) -> None:
        nonlocal open_pipes
        status, i, payload = item
        if status == "ok":
            done.add(i)
            on_result(i, payload)
        elif status == "error":
            errors.append(payload)
        elif status == "eof":
            open_pipes -= 1

    try:
        pipes = []
        for _ in range(min(workers, n) - 1):  # every fork before the first thread starts
            recv, send = ctx.Pipe(duplex=False)
            _widen_pipe(send)
            proc = ctx.Process(target=_serve, args=(fn, tasks, claim, send, in_child), daemon=True)
            proc.start()
            send.close()
            procs.append(proc)
            pipes.append(recv)
        open_pipes = len(pipes)
        readers = [threading.Thread(target=_drain, args=(p, inbox), daemon=True) for p in pipes]
        for reader in readers:
            reader.start()
        while (i := claim()) < n:
            result = fn(tasks[i])
            done.add(i)
            on_result(i, result)
            with contextlib.suppress(queue.Empty):
                while True:
                    handle(inbox.get_nowait())
        while open_pipes:  # the children's last results, handled as they arrive
            handle(inbox.get())
    except BaseException:
        for proc in procs:
            proc.terminate()
        raise
    finally:
        for proc in procs:
            proc.join()
        for reader in readers:
            reader.join()
        claim.close()
    if errors:
        raise WorkerError(errors[0])
    for i in range(n):  # claimed by a child that died before sending
        if i not in done:
            on_result(i, fn(tasks[i]))


class _Counter:
    """The next task index, shared by forked processes. Guarded by a POSIX record lock
    (``lockf``), which the system releases when its holder dies: a worker killed while
    claiming (by the OOM killer, say) cannot block the others."""

    def __init__(self, ctx: Any) -> None:
        self._value = ctx.RawValue("q", 0)
        self._file = tempfile.TemporaryFile()

    def __call__(self) -> int:
        assert fcntl is not None  # fork_map only forks where fcntl exists
        fd = self._file.fileno()
        fcntl.lockf(fd, fcntl.LOCK_EX)
        try:
            i = int(self._value.value)
            self._value.value = i + 1
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        return i

    def close(self) -> None:
        self._file.close()


def _widen_pipe(conn: Any) -> None:
    """Let a child write a whole result without waiting for the reader (Linux: the pipe
    buffer grows from 64 KiB to the system maximum, 1 MiB by default)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is None:
        return
    try:
        with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as f:
            size = int(f.read())
        fcntl.fcntl(conn.fileno(), set_size, size)
    except (OSError, ValueError):
        pass


def _serve(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    claim: Callable[[], int],
    conn: Any,
    in_child: Callable[[], None] | None,
) -> None:
    """A forked worker: claim, compute, send, until no task is left."""
    gc.disable()  # see gc_paused; the child is short-lived
    i = -1
    try:
        if in_child is not None:
            in_child()
        while (i := claim()) < len(tasks):
            conn.send(("ok", i, fn(tasks[i])))
    except Exception as exc:  # reported to the parent, which raises
        conn.send(("error", i, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _drain(conn: Any, inbox: queue.SimpleQueue[tuple[str, int, Any]]) -> None:
    """Move a child's results into the inbox until its pipe closes (or the child dies),
    then say so with an ``eof`` item."""
    try:
        while True:
            inbox.put(conn.recv())
    except Exception:  # closed (EOF), or unreadable: as if the child died, its tasks are redone
        pass
    finally:
        conn.close()
        inbox.put(("eof", -1, None))
