"""Starting several calls at the same moment, for the tests of concurrent writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

TIMEOUT = 60


def race(calls: list[Callable[[], Any]], timeout: float = TIMEOUT) -> list[Any]:
    """Run ``calls`` in threads released together by a barrier; return results or errors
    (each thread may take up to ``timeout`` seconds)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return results
