"""The pool's property, tried at random: whatever a pod sends after its responses, no client ever
reads bytes meant for another request. Keep-alive HTTP/1.1 clients (http.client) and HTTP/2 clients
(h2_client.py), in threads, ask misbehaving_pod.py for /FAULT/ID with FAULT drawn from the pod's
faults (or none) and ID unique; each answer must be the client's own (possibly cut short or a
5xx), never another ID's and never the pod's STRAY bytes.
usage: pool_property.py HOST PORT AUTHORITY SEED"""
import http.client
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2_client  # noqa: E402

host, port, authority, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
FAULTS = ["", "", "", "stray", "extra", "204", "shortcl", "both", "close", "HEAD"]
REQUESTS = 60
problems = []
counts = {"ok": 0, "cut": 0}
lock = threading.Lock()


def judge(path, status, body):
    """An answer may be cut short (the pod closed, or gatehouse refused its framing), but every
    "answer for X" in it must be this request's, and no stray byte may be in it."""
    text = body.decode("latin-1")
    named = [line[len("answer for "):] for line in text.split("\n") if line.startswith("answer for ")]
    complete = text.split("\n")[0] + "\n" in text  # its first line ended
    with lock:
        if "STRAY" in text:
            problems.append(f"{path}: stray bytes reached the client: {text!r}")
        elif any(not path.startswith(n) or (complete and n != path) for n in named):
            problems.append(f"{path}: got another request's answer: {text!r}")
        elif status and status >= 500 or not named:
            counts["cut"] += 1
        else:
            counts["ok"] += 1


class IdleGate:
    """A pod that writes 10 ms after its answer ("stray") races a request sent on the same pooled
    connection within those 10 ms: no proxy can tell those bytes from the answer (nginx neither).
    The property is about bytes that arrive while a connection is idle, so a "stray" request and
    the 50 ms after it run alone; other requests share the gate."""

    def __init__(self):
        self.cond, self.readers, self.writer = threading.Condition(), 0, False

    def shared(self):
        with self.cond:
            self.cond.wait_for(lambda: not self.writer)
            self.readers += 1

    def shared_done(self):
        with self.cond:
            self.readers -= 1
            self.cond.notify_all()

    def alone(self):
        with self.cond:
            self.cond.wait_for(lambda: not self.writer and self.readers == 0)
            self.writer = True

    def alone_done(self):
        time.sleep(0.05)
        with self.cond:
            self.writer = False
            self.cond.notify_all()


gate = IdleGate()


def gated(fault, request):
    (gate.alone if fault == "stray" else gate.shared)()
    try:
        return request()
    finally:
        (gate.alone_done if fault == "stray" else gate.shared_done)()


def http1_client(number, rng):
    conn = None
    for i in range(REQUESTS):
        fault = rng.choice(FAULTS)
        method = "HEAD" if fault == "HEAD" else "GET"
        path = f"/{fault or 'plain'}/h1-{number}-{i}" if method == "GET" else f"/h1-{number}-{i}"
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=10)
            def ask():
                conn.request(method, path, headers={"Host": authority})
                response = conn.getresponse()
                return response, response.read()

            response, body = gated(fault, ask)
            judge(path, response.status, body)
            if response.will_close:
                conn.close()
                conn = None
        except (http.client.HTTPException, OSError) as e:
            body = getattr(e, "partial", b"") or b""
            judge(path, 0, body)
            if conn is not None:
                conn.close()
            conn = None


def http2_client(number, rng):
    client = None
    for i in range(REQUESTS):
        fault = rng.choice([f for f in FAULTS if f != "HEAD"])
        path = f"/{fault or 'plain'}/h2-{number}-{i}"
        try:
            if client is None:
                client = h2_client.Client(host, port, 10)
            status, body = gated(fault, lambda: client.get(authority, path))
            judge(path, int(status or 0), body)
        except Exception:  # a reset stream or a lost connection: try again on a new one
            judge(path, 0, b"")
            if client is not None:
                client.close()
            client = None


threads = []
for n in range(3):
    threads.append(threading.Thread(target=http1_client, args=(n, random.Random(seed * 10 + n))))
    threads.append(threading.Thread(target=http2_client, args=(n, random.Random(seed * 10 + 5 + n))))
for t in threads:
    t.start()
for t in threads:
    t.join()
for p in problems[:10]:
    print("FAIL:", p)
print(f"pool property, seed {seed}: {counts['ok']} own answers, {counts['cut']} cut short or 5xx, "
      f"{len(problems)} crossed")
sys.exit(1 if problems or counts["ok"] < REQUESTS else 0)
