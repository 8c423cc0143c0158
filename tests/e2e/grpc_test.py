#!/usr/bin/python3
"""gRPC through gatehouse serve to an HTTP/2 cleartext pod (Service appProtocol kubernetes.io/h2c).

The pod is a gRPC server in this process on 127.0.0.1:POD_PORT (insecure, i.e. h2c) with a generic
handler for the service test.Echo: no protoc, messages are bytes (no serializers). Once the
wrapper has written "PLAIN_PORT TLS_PORT" to READY_FILE (gatehouse listening), the same calls go
through gatehouse on two channels: h2c prior knowledge to the plain listener (authority grpc.org)
and TLS (ALPN h2) verified against CA_FILE with the target name grpc.org. On each channel:
unary echo (small, 1 MiB, 200 concurrent); initial and trailing metadata (text and -bin) both
ways; abort(NOT_FOUND, 'nope') as a trailers-only response; a server stream of 10,000 messages
complete and in order; a client stream whose sizes the server sums; a bidi echo of 1,000 messages,
each sent only once the previous one came back (both directions streaming at once); a client
cancel of a long server stream seen by the server within 2 s; a deadline of 0.5 s on a handler
that sleeps 3 s → DEADLINE_EXCEEDED, the pod told the deadline (grpc-timeout) and its handler
stopped early; and the server saw the call come through gatehouse
(x-forwarded-proto of the listener).

usage: /usr/bin/python3 grpc_test.py POD_PORT CA_FILE READY_FILE
Prints one ok:/FAIL: line per check; exits 1 on any failure (2: the 60 s watchdog fired).
"""
import os
import queue
import sys
import threading
import time
from concurrent import futures

import grpc

from checks import check, fail, ok, summary

POD_PORT, CA_FILE, READY_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
CALL_TIMEOUT = 10.0  # every call, unless the check is about deadlines
SERVICE = 'test.Echo'

def watchdog():
    print('FAIL: watchdog: the checks did not finish within 60 s', flush=True)
    os._exit(2)


timer = threading.Timer(60.0, watchdog)
timer.daemon = True
timer.start()


# --- The pod --------------------------------------------------------------------------------------
seen = {}                 # key (from the request) → what the server saw
seen_lock = threading.Lock()
cancelled = {}            # key → threading.Event set by the server when the RPC ends early


def note(key, **what):
    with seen_lock:
        seen.setdefault(key, {}).update(what)


def metadata_dict(context):
    return {k: v for k, v in context.invocation_metadata()}


def unary(request, context):
    md = metadata_dict(context)
    if request.startswith(b'whoami:'):
        note(request.decode(), metadata=md)
    if md.get('x-want-metadata') == 'yes':
        context.send_initial_metadata((('x-initial', 'hello'),))
        context.set_trailing_metadata((('x-trailer', 'bye'), ('x-trailer-bin', b'\x00\x01\xfe\xff'),
                                       ('x-echo-request-bin', md.get('x-request-bin', b''))))
    return request


def abort(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, 'nope')


def server_stream(request, context):
    for i in range(int(request)):
        yield i.to_bytes(4, 'big')


def client_stream(request_iterator, context):
    count = total = 0
    for message in request_iterator:
        count += 1
        total += len(message)
    return b'%d %d' % (count, total)


def bidi(request_iterator, context):
    for message in request_iterator:
        yield message


def long_stream(request, context):
    """Streams for up to 30 s; records when the RPC ended (the client's cancel)."""
    key = request.decode()
    event = cancelled.setdefault(key, threading.Event())
    context.add_callback(event.set)
    deadline = time.monotonic() + 30
    i = 0
    while context.is_active() and time.monotonic() < deadline:
        yield i.to_bytes(4, 'big') * 256
        i += 1
        time.sleep(0.01)
    event.set()


def sleepy(request, context):
    """Sleeps 3 s unless the RPC ends first; records the deadline it was given and how long it ran."""
    t0 = time.monotonic()
    remaining = context.time_remaining()
    end = t0 + 3
    while context.is_active() and time.monotonic() < end:
        time.sleep(0.05)
    note(request.decode(), remaining=remaining, ran=time.monotonic() - t0)
    return request


handler = grpc.method_handlers_generic_handler(SERVICE, {
    'Unary': grpc.unary_unary_rpc_method_handler(unary),
    'Abort': grpc.unary_unary_rpc_method_handler(abort),
    'ServerStream': grpc.unary_stream_rpc_method_handler(server_stream),
    'ClientStream': grpc.stream_unary_rpc_method_handler(client_stream),
    'Bidi': grpc.stream_stream_rpc_method_handler(bidi),
    'LongStream': grpc.unary_stream_rpc_method_handler(long_stream),
    'Sleep': grpc.unary_unary_rpc_method_handler(sleepy),
})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=64),
                     options=[('grpc.max_receive_message_length', 8 << 20),
                              ('grpc.max_send_message_length', 8 << 20)])
server.add_generic_rpc_handlers((handler,))
if server.add_insecure_port('127.0.0.1:%d' % POD_PORT) != POD_PORT:
    print('FAIL: the gRPC server cannot listen on 127.0.0.1:%d' % POD_PORT, flush=True)
    os._exit(1)
server.start()
print('gRPC server (the pod) on 127.0.0.1:%d' % POD_PORT, flush=True)

# --- Waiting for gatehouse ----------------------------------------------------------------------
ports = None
for _ in range(400):  # 20 s
    try:
        with open(READY_FILE) as f:
            words = f.read().split()
        if len(words) == 2:
            ports = [int(w) for w in words]
            break
    except OSError:
        pass
    time.sleep(0.05)
if not ports:
    print('FAIL: no gatehouse ports in %s after 20 s' % READY_FILE, flush=True)
    server.stop(0)
    os._exit(1)
plain, tls = ports

common = [('grpc.enable_http_proxy', 0), ('grpc.max_receive_message_length', 8 << 20),
          ('grpc.max_send_message_length', 8 << 20)]
with open(CA_FILE, 'rb') as f:
    ca = f.read()
channels = [
    ('h2c', 'http', grpc.insecure_channel(
        '127.0.0.1:%d' % plain, options=common + [('grpc.default_authority', 'grpc.org')])),
    ('TLS', 'https', grpc.secure_channel(
        '127.0.0.1:%d' % tls, grpc.ssl_channel_credentials(root_certificates=ca),
        options=common + [('grpc.ssl_target_name_override', 'grpc.org')])),
]


def method(channel, kind, name):
    return getattr(channel, kind)('/%s/%s' % (SERVICE, name))


def code_of(e):
    return e.code() if isinstance(e, grpc.RpcError) else None


def run(name, fn):
    """Runs one check; an exception is a failure of that check only."""
    try:
        fn()
    except grpc.RpcError as e:
        fail('%s: RPC error %s %r' % (name, e.code(), e.details()))
    except Exception as e:  # noqa: BLE001 — report, go on with the other checks
        fail('%s: %s: %s' % (name, type(e).__name__, e))


for label, proto, ch in channels:
    try:
        grpc.channel_ready_future(ch).result(timeout=10)
        ok('%s: channel to gatehouse ready' % label)
    except grpc.FutureTimeoutError:
        fail('%s: channel to gatehouse not ready within 10 s' % label)
        continue

    unary_call = method(ch, 'unary_unary', 'Unary')

    def t_unary():
        key = 'whoami:%s' % label
        got = unary_call(key.encode(), timeout=CALL_TIMEOUT)
        check(got == key.encode(), '%s: unary echo returns the bytes' % label, repr(got[:40]))
        md = seen.get(key, {}).get('metadata', {})
        check(md.get('x-forwarded-proto') == proto,
              '%s: the pod saw the call through gatehouse (x-forwarded-proto %s)' % (label, proto),
              'x-forwarded-proto=%r x-forwarded-for=%r' % (md.get('x-forwarded-proto'),
                                                           md.get('x-forwarded-for')))
        big = os.urandom(1 << 20)
        check(unary_call(big, timeout=CALL_TIMEOUT) == big, '%s: unary echo of 1 MiB' % label)
        empty = unary_call(b'', timeout=CALL_TIMEOUT)
        check(empty == b'', '%s: unary echo of an empty message' % label, repr(empty))

    def t_concurrent():
        calls = [unary_call.future(b'%d' % i, timeout=CALL_TIMEOUT) for i in range(200)]
        got = [f.result() for f in calls]
        check(got == [b'%d' % i for i in range(200)], '%s: 200 concurrent unary calls' % label)

    def t_metadata():
        got, call = unary_call.with_call(
            b'md', timeout=CALL_TIMEOUT,
            metadata=(('x-want-metadata', 'yes'), ('x-request-bin', b'\xff\x00\x10')))
        initial = dict(call.initial_metadata())
        trailing = dict(call.trailing_metadata())
        check(got == b'md' and call.code() == grpc.StatusCode.OK, '%s: metadata call OK' % label)
        check(initial.get('x-initial') == 'hello', '%s: initial metadata arrives' % label,
              repr(initial))
        check(trailing.get('x-trailer') == 'bye', '%s: trailing metadata arrives' % label,
              repr(trailing))
        check(trailing.get('x-trailer-bin') == b'\x00\x01\xfe\xff',
              '%s: binary trailing metadata arrives intact' % label,
              repr(trailing.get('x-trailer-bin')))
        check(trailing.get('x-echo-request-bin') == b'\xff\x00\x10',
              '%s: binary request metadata reaches the pod intact' % label,
              repr(trailing.get('x-echo-request-bin')))

    def t_abort():
        try:
            method(ch, 'unary_unary', 'Abort')(b'x', timeout=CALL_TIMEOUT)
            fail('%s: abort(NOT_FOUND): the call succeeded' % label)
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.NOT_FOUND and e.details() == 'nope',
                  '%s: abort arrives as NOT_FOUND, details nope' % label,
                  '%s %r' % (e.code(), e.details()))
        # The channel is still fine after a trailers-only response.
        check(unary_call(b'after', timeout=CALL_TIMEOUT) == b'after',
              '%s: a call after the abort succeeds' % label)

    def t_server_stream():
        n = 10000
        t0 = time.monotonic()
        got = list(method(ch, 'unary_stream', 'ServerStream')(b'%d' % n, timeout=CALL_TIMEOUT))
        numbers = [int.from_bytes(m, 'big') for m in got]
        check(numbers == list(range(n)), '%s: server stream of %d messages, complete and in order'
              % (label, n), '%d received in %.2f s' % (len(numbers), time.monotonic() - t0))

    def t_client_stream():
        sizes = [(i * 37) % 5000 for i in range(1000)]
        got = method(ch, 'stream_unary', 'ClientStream')(
            (b'z' * s for s in sizes), timeout=CALL_TIMEOUT)
        expected = b'%d %d' % (len(sizes), sum(sizes))
        check(got == expected, '%s: client stream: the server counted and summed the sizes' % label,
              '%r, expected %r' % (got, expected))

    def t_bidi():
        n = 1000
        returned = queue.Queue()
        problems = []

        def requests():
            for i in range(n):
                yield b'm%d' % i
                try:  # the next message only after this one came back
                    returned.get(timeout=5)
                except queue.Empty:
                    problems.append('no echo of m%d within 5 s' % i)
                    return

        got = []
        for message in method(ch, 'stream_stream', 'Bidi')(requests(), timeout=CALL_TIMEOUT * 2):
            got.append(message)
            returned.put(message)
        check(not problems and got == [b'm%d' % i for i in range(n)],
              '%s: bidi echo of %d interleaved messages' % (label, n),
              '; '.join(problems) or '%d echoed' % len(got))

    def t_cancel():
        key = 'cancel:%s' % label
        event = cancelled.setdefault(key, threading.Event())
        call = method(ch, 'unary_stream', 'LongStream')(key.encode(), timeout=40)
        for _, _message in zip(range(5), call):
            pass
        check(not event.is_set(), '%s: the long stream is still running before the cancel' % label)
        t0 = time.monotonic()
        call.cancel()
        seen_in_time = event.wait(2.0)
        check(seen_in_time, '%s: the client\'s cancel is seen by the server within 2 s' % label,
              '%.2f s' % (time.monotonic() - t0) if seen_in_time else 'not seen after 2 s')
        check(call.code() == grpc.StatusCode.CANCELLED, '%s: the client\'s call is CANCELLED' % label,
              str(call.code()))

    def t_deadline():
        key = 'deadline:%s' % label
        t0 = time.monotonic()
        try:
            method(ch, 'unary_unary', 'Sleep')(key.encode(), timeout=0.5)
            fail('%s: deadline 0.5 s on a 3 s handler: the call succeeded' % label)
        except grpc.RpcError as e:
            took = time.monotonic() - t0
            check(e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and took < 2.0,
                  '%s: deadline 0.5 s on a 3 s handler: DEADLINE_EXCEEDED' % label,
                  '%s after %.2f s' % (e.code(), took))
        for _ in range(60):  # the handler notes what it saw when it ends
            if 'ran' in seen.get(key, {}):
                break
            time.sleep(0.05)
        what = seen.get(key, {})
        remaining = what.get('remaining')
        check(remaining is not None and 0 < remaining <= 0.6,  # grpc-timeout rounds up
              '%s: the pod got the deadline (grpc-timeout)' % label, 'time_remaining %r' % remaining)
        check(what.get('ran', 99) < 2.0, '%s: the pod\'s handler stopped after the deadline' % label,
              'ran %.2f s' % what.get('ran', 99))

    for name, fn in [('unary', t_unary), ('concurrent', t_concurrent), ('metadata', t_metadata),
                     ('abort', t_abort), ('server stream', t_server_stream),
                     ('client stream', t_client_stream), ('bidi', t_bidi), ('cancel', t_cancel),
                     ('deadline', t_deadline)]:
        run('%s: %s' % (label, name), fn)

for _, _, ch in channels:
    ch.close()
server.stop(0)
os._exit(summary('all gRPC checks passed'))
