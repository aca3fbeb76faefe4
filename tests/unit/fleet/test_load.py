"""tests/fleet/load.py against a local HTTP server (no Docker): counting, failures, windows."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from tests.fleet.load import Load, Snapshot


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answer = b"v1\n"
    status = 200

    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(Handler.status)
        self.send_header("Content-Length", str(len(Handler.answer)))
        self.end_headers()
        self.wfile.write(Handler.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.answer, Handler.status = b"v1\n", 200
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("keepalive", [False, True])
def test_counts_answers_at_the_rate_asked(server, keepalive):
    load = Load(server, rate=50, threads=2, keepalive=keepalive).start()
    time.sleep(0.5)
    mark = load.snapshot()
    Handler.answer = b"v2\n"
    time.sleep(0.5)
    Handler.status = 503
    time.sleep(0.3)
    total = load.stop()
    assert 40 <= total.requests <= 70, total
    assert total.requests == sum(total.answers.values()) + total.failures
    assert set(total.answers) <= {"v1", "v2"} and total.answers.get("v1", 0) >= 15
    assert total.errors.keys() == {"HTTP 503"} and total.failures >= 5
    window = total.since(mark)
    assert window.answers.get("v1", 0) <= 2 and window.answers.get("v2", 0) >= 15
    assert window.elapsed == pytest.approx(total.elapsed - mark.elapsed)


def test_connection_errors_are_failures():
    load = Load("http://127.0.0.1:9/", rate=20, threads=1, timeout=1).start()
    time.sleep(0.3)
    total = load.stop()
    assert total.requests >= 3 and total.failures == total.requests and total.answers == {}
    assert total.errors.keys() == {"ConnectionRefusedError"}


def test_refuses_other_urls_and_a_second_start(server):
    with pytest.raises(ValueError, match="http://"):
        Load("https://example.com/")
    with Load(server, rate=10) as load, pytest.raises(RuntimeError):
        load.start()


def test_snapshot_since_and_rate():
    later = Snapshot(elapsed=4.0, requests=100, failures=1, answers={"v1": 40, "v2": 59}, errors={"HTTP 502": 1})
    earlier = Snapshot(elapsed=2.0, requests=50, failures=1, answers={"v1": 40, "v2": 9}, errors={"HTTP 502": 1})
    assert later.since(earlier) == Snapshot(elapsed=2.0, requests=50, failures=0, answers={"v2": 50}, errors={})
    assert later.rate == 25.0 and Snapshot().rate == 0.0


def test_each_failure_is_recorded_with_the_time_it_was_sent(server):
    load = Load(server, rate=50, threads=1).start()
    time.sleep(0.3)
    Handler.status = 500
    failing_from = time.monotonic()
    time.sleep(0.3)
    total = load.stop()
    failures = load.failures_at()
    assert len(failures) == total.failures >= 5
    assert {why for _at, why in failures} == {"HTTP 500"}
    assert [at for at, _why in failures] == sorted(at for at, _why in failures)
    assert failures[0][0] >= failing_from - 0.05  # sent around the change, not before the load started failing
