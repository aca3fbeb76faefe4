"""A steady HTTP load for tests and the demo: requests at a fixed rate, counted by outcome and answer.

    load = Load("http://10.231.0.11:8000/", rate=40, threads=2).start()
    ...                          # switch backends, deploy, roll back
    before = load.snapshot()
    ...                          # some more time
    after = load.stop()          # the final snapshot
    assert after.failures == 0 and after.since(before).answers == {"v2": 57}

Standard library only (http.client), so it runs anywhere the tests run. A request is a failure when
the connection fails, it times out, or the status is not 200; every answer is counted by its body
(stripped), every failure by a short reason. Each thread paces itself (rate / threads per second,
catching up after a slow request without bursting past the schedule by more than one second).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Snapshot:
    """Counts at one moment since the load started; ``since(earlier)`` gives the counts in between."""

    elapsed: float = 0.0
    requests: int = 0
    failures: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def since(self, earlier: Snapshot) -> Snapshot:
        return Snapshot(
            elapsed=self.elapsed - earlier.elapsed,
            requests=self.requests - earlier.requests,
            failures=self.failures - earlier.failures,
            answers=dict(+(Counter(self.answers) - Counter(earlier.answers))),
            errors=dict(+(Counter(self.errors) - Counter(earlier.errors))),
        )


class Load:
    """``rate`` requests per second in total to ``url``, from ``threads`` threads.

    keepalive=False opens a connection per request (like most monitoring probes and short-lived clients);
    keepalive=True keeps one connection per thread and reconnects after any error or ``Connection: close``.
    """

    def __init__(self, url: str, rate: float = 20, threads: int = 2, timeout: float = 5, keepalive: bool = False):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"Load needs an http:// URL, not {url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.rate, self.threads, self.timeout, self.keepalive = float(rate), max(int(threads), 1), timeout, keepalive
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._started = 0.0
        self._requests = 0
        self._answers: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._failed_at: list[tuple[float, str]] = []

    # ---- control -------------------------------------------------------------------------------
    def start(self) -> Load:
        if self._workers:
            raise RuntimeError("this load is already running")
        self._stop.clear()
        self._started = time.monotonic()
        interval = self.threads / self.rate
        for index in range(self.threads):
            # spread the threads' first requests over one interval
            worker = threading.Thread(target=self._run, args=(interval, index * interval / self.threads), name=f"load-{index}", daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> Snapshot:
        """Stop sending, wait for requests in flight, and return the final counts."""
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout + 5)
        self._workers = []
        return self.snapshot()

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                elapsed=time.monotonic() - self._started if self._started else 0.0,
                requests=self._requests,
                failures=sum(self._errors.values()),
                answers=dict(self._answers),
                errors=dict(self._errors),
            )

    def failures_at(self) -> list[tuple[float, str]]:
        """Each failed request: (time.monotonic() when it was sent, reason), in order."""
        with self._lock:
            return sorted(self._failed_at)

    def __enter__(self) -> Load:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- the work ------------------------------------------------------------------------------
    def _run(self, interval: float, offset: float) -> None:
        conn = None
        next_at = time.monotonic() + offset
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            next_at = max(next_at + interval, time.monotonic() - 1)
            sent = time.monotonic()
            conn, answer, error = self._one(conn)
            with self._lock:
                self._requests += 1
                if error is None:
                    self._answers[answer] += 1
                else:
                    self._errors[error] += 1
                    self._failed_at.append((sent, error))
        if conn is not None:
            conn.close()

    def _one(self, conn: http.client.HTTPConnection | None) -> tuple[http.client.HTTPConnection | None, str | None, str | None]:
        """One request: (connection to reuse or None, answer body or None, error reason or None)."""
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {} if self.keepalive else {"Connection": "close"}
        try:
            conn.request("GET", self.path, headers=headers)
            response = conn.getresponse()
            body = response.read().decode("utf-8", errors="replace").strip()
            reuse = self.keepalive and not response.will_close
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            return None, None, type(exc).__name__
        if not reuse:
            conn.close()
            conn = None
        if response.status != 200:
            return conn, None, f"HTTP {response.status}"
        return conn, body, None
