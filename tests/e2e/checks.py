"""Check reporting for the Python e2e scripts, in the form lib.sh prints: "ok: ..." or
"FAIL: ...", then a count. Thread-safe: the fuzz test reports from several threads."""
import threading

_lock = threading.Lock()
_failures = 0


def ok(what):
    print('ok: ' + what, flush=True)


def fail(what):
    global _failures
    with _lock:
        _failures += 1
    print('FAIL: ' + what, flush=True)


def check(cond, what, detail=''):
    if cond:
        ok(what + (' (' + detail + ')' if detail else ''))
    else:
        fail(what + (': ' + detail if detail else ''))


def failures():
    with _lock:
        return _failures


def summary(passed='all checks passed'):
    """Prints the failure count or `passed`; returns the exit status (1 on failures)."""
    n = failures()
    print('%d failure(s)' % n if n else passed, flush=True)
    return 1 if n else 0
