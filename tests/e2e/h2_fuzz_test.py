#!/usr/bin/python3
"""Seeded, time-bounded randomized robustness test of gatehouse serve's h2c (prior knowledge)
listener: HTTP/2 frames from clients are untrusted input.

Each connection gets a sequence built with hyperframe and hpack from valid pieces (preface,
SETTINGS, requests for foo.org /a with and without END_STREAM, DATA of random sizes and padding,
CONTINUATION, WINDOW_UPDATE, RST_STREAM, PING, PRIORITY, GOAWAY) and invalid ones (unknown frame
types, frames on stream 0, even or reused stream ids, bad lengths, truncated frames, random bytes,
PUSH_PROMISE from a client, HPACK with bad indexes, huge dynamic table size updates, integer
overflows, bad Huffman, HPACK bombs, oversized header lists, pseudo-header misuse, uppercase names,
connection-specific headers, content-length mismatches), then mutated (bytes flipped, frames cut,
duplicated, dropped, reordered, lengths rewritten, the stream cut short) and sent in random
writes with random pauses. Whatever comes back is read with socket timeouts, then the connection
is closed (close, half-close then read, or reset). Several connections run at once.

Sequence number i uses the i-th 64-bit number of random.Random(SEED) as its own seed, so a
sequence is reproduced from the run's seed, or alone from its connection seed:
    /usr/bin/python3 h2_fuzz_test.py HOST PORT replay CONNECTION_SEED

Oracles: every ~50 connections and at the end, a well-behaved HTTP/2 client (h2) gets 200 for
foo.org /a and so does an HTTP/1.1 request on a raw socket; what the server sends back on the
fuzzed connections is well formed (after an intact preface: HTTP/2 frames beginning with the
server's SETTINGS, header blocks that HPACK-decode to a :status; otherwise an HTTP/1.x response or
nothing). The last sequences (and those in flight) are printed on a failure.

usage: /usr/bin/python3 h2_fuzz_test.py HOST PORT [SECONDS [SEED]]   (a serve with the foobar
manifest; SECONDS defaults to 20, SEED to the current time). Prints the seed, the numbers of
connections and frames sent, ok:/FAIL: lines; exits 1 on any failure. H2_FUZZ_PARALLEL=N in the
environment sets the connections at once (default 4); with 1, the sequence that upset the server
is the last one in the log (races between connections are lost, though).
"""
import collections
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, GoAwayFrame, HeadersFrame, PingFrame,
                              PriorityFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame)

from checks import fail, failures, ok, summary
from h2_client import Client, hpack_int, literal, request_block

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
OP_TIMEOUT = 5.0      # health checks: every socket operation
SEND_TIMEOUT = 2.0    # fuzzed connections: a send the server does not take in this long stops
CHECK_EVERY = 50      # connections between health checks
PARALLEL = int(os.environ.get('H2_FUZZ_PARALLEL', '4'))  # fuzzed connections at once
LOG_KEEP = 6          # finished sequences kept for the failure report
HEX_LIMIT = 3000      # bytes of a sequence printed as hex (the seed reproduces all of it)
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
NAMES = {DATA: 'DATA', HEADERS: 'HEADERS', PRIORITY: 'PRIORITY', RST_STREAM: 'RST_STREAM',
         SETTINGS: 'SETTINGS', PUSH_PROMISE: 'PUSH_PROMISE', PING: 'PING', GOAWAY: 'GOAWAY',
         WINDOW_UPDATE: 'WINDOW_UPDATE', CONTINUATION: 'CONTINUATION'}
ERRORS = {0x0: 'NO_ERROR', 0x1: 'PROTOCOL_ERROR', 0x2: 'INTERNAL_ERROR', 0x3: 'FLOW_CONTROL_ERROR',
          0x4: 'SETTINGS_TIMEOUT', 0x5: 'STREAM_CLOSED', 0x6: 'FRAME_SIZE_ERROR',
          0x7: 'REFUSED_STREAM', 0x8: 'CANCEL', 0x9: 'COMPRESSION_ERROR', 0xa: 'CONNECT_ERROR',
          0xb: 'ENHANCE_YOUR_CALM', 0xc: 'INADEQUATE_SECURITY', 0xd: 'HTTP_1_1_REQUIRED'}

lock = threading.Lock()  # the fuzzer's shared state, across its threads


# ---------------------------------------------------------------- building sequences

def frame(kind, flags, sid, payload, length=None):
    """Any frame, valid or not: `length` (default: the payload's) is what the header claims."""
    n = len(payload) if length is None else length
    return (struct.pack('>I', n & 0xffffff)[1:] + bytes([kind & 0xff, flags & 0xff]) +
            struct.pack('>I', sid & 0xffffffff) + payload)


def with_sid(data, sid):
    """A serialized frame with its stream id (all 32 bits, reserved bit included) replaced."""
    return data[:5] + struct.pack('>I', sid & 0xffffffff) + data[9:]


def with_length(data, length):
    return struct.pack('>I', length & 0xffffff)[1:] + data[3:]


class Sequence:
    """The bytes of one fuzzed connection, as labelled items, and how to send them.

    `chaos` (0, 0.3 or 1, drawn per connection) scales the odds of every invalid choice, so that
    some connections are valid HTTP/2 that reaches the pods (requests in flight when the client
    goes away, bodies, flow control), some mostly valid, and some hostile throughout."""

    def __init__(self, seed):
        self.seed = seed
        self.r = random.Random(seed)
        self.chaos = self.r.choice([0, 0.3, 0.3, 1, 1])
        self.items = []        # [label, bytes, counts as a frame]
        self.mutations = []
        self.cut = None
        self.enc = hpack.Encoder()
        self.last_sid = 0      # highest odd stream id used for a request
        self.sids = []
        self.build()
        self.mutate()
        self.plan()

    # --- pieces
    def add(self, label, data, is_frame=True):
        self.items.append([label, bytes(data), is_frame])

    def bad(self, p):
        """True with probability p times the connection's chaos: the invalid choice."""
        return self.r.random() < p * self.chaos

    def new_sid(self):
        r = self.r
        following = self.last_sid + 2 if self.last_sid else 1
        sid, how = following, ''
        if self.bad(0.2) and self.sids:
            sid, how = r.choice([(following + 1, ' (even)'), (r.choice(self.sids), ' (reused)'),
                                 (r.choice(self.sids), ' (reused)'), (0, ' (stream 0)'),
                                 (0x7fffffff, ' (the last id)'),
                                 (following | 0x80000000, ' (reserved bit)'),
                                 (following + 2 * r.randint(1, 1000), ' (skipping ids)')])
        plain = sid & 0x7fffffff
        if plain % 2 == 1 and plain > self.last_sid:
            self.last_sid = plain
        if plain:
            self.sids.append(plain)
        return sid, how

    def some_sid(self, zero_ok=False):
        """A stream id for a frame that is not a request: one opened (or 0 where allowed),
        unless chaos picks a wrong one."""
        r = self.r
        following = self.last_sid + 2 if self.last_sid else 1
        if self.bad(0.5) or not (self.sids or zero_ok):
            return r.choice([0, following, following + 1, 0x7fffffff, r.randrange(1 << 31),
                             (self.last_sid or 1) + 1])
        if not self.sids:
            return 0
        return r.choice(([0] if zero_ok else []) + [self.last_sid, r.choice(self.sids)])

    # --- requests
    def request_fields(self, body, total):
        r = self.r
        notes = []
        method = r.choice([b'GET'] * 8 + [b'HEAD', b'OPTIONS', b'DELETE'])
        if body:
            method = r.choice([b'POST'] * 5 + [b'PUT', b'GET'])
        if self.bad(0.05):
            method = r.choice([b'get', b'', b'G ET', b'\x00'])
        authority = r.choice([b'foo.org'] * 12 + [b'bar.org', b'foo.org:80', b'unknown.example'])
        if self.bad(0.08):
            authority = r.choice([b'', b'FOO.ORG', b'foo.org\x00', b'[::1]', b'foo.org.',
                                  b'a' * 300, b'foo.org@bar.org', b'foo.org:99999'])
        path = r.choice([b'/a'] * 12 + [
            b'/b', b'/a/bytes/%d' % r.choice([0, 1, 100, 16384, 70000, 300000]),
            b'/a/delay/%d' % r.randint(0, 300), b'/a/delay/%d' % r.randint(0, 300), b'/a/abort',
            b'/a/hello', b'/a/status/%d' % r.choice([204, 304, 404, 500, 101, 199, 599]),
            b'/a?x=1&y=%ff', b'/a/../a', b'//a'])
        if self.bad(0.08):
            path = r.choice([b'/%2e%2e/a', b'*', b'', b'a', b'/a#frag', b'/a/' + b'p' * 9000,
                             b'/' + r.randbytes(r.randint(1, 20)), b'http://foo.org/a'])
        scheme = b'http' if not self.bad(0.05) else r.choice([b'https', b'', b'ftp', b'HTTP'])
        pseudo = [(b':method', method), (b':scheme', scheme), (b':authority', authority),
                  (b':path', path)]
        if r.random() < 0.15:
            r.shuffle(pseudo)
        regular = []
        if r.random() < 0.3:
            regular.append((b'user-agent', b'h2fuzz/%d' % r.randint(0, 9)))
        if r.random() < 0.3:
            regular.append((b'accept', b'*/*'))
        if r.random() < 0.1:
            regular.append((b'te', b'trailers'))
        if body and r.random() < 0.6:
            regular.append((b'content-length', b'%d' % total))
        if self.bad(0.4):
            for _ in range(r.choice([1, 1, 2, 3])):
                self.misuse(pseudo, regular, total, notes)
        return pseudo + regular, notes

    def misuse(self, pseudo, regular, total, notes):
        r = self.r
        kind = r.choice(['drop pseudo', 'duplicate pseudo', 'pseudo after regular',
                         'unknown pseudo', 'uppercase name', 'connection-specific',
                         'connection-specific', 'te', 'content-length mismatch',
                         'content-length mismatch', 'content-length duplicate',
                         'content-length invalid', 'host header', 'bad characters',
                         'empty name', 'long value', 'many headers', 'cookie crumbs', 'CONNECT',
                         'extended CONNECT', 'empty value pseudo'])
        notes.append(kind)
        if kind == 'drop pseudo' and pseudo:
            pseudo.pop(r.randrange(len(pseudo)))
        elif kind == 'duplicate pseudo' and pseudo:
            name, _ = r.choice(pseudo)
            pseudo.insert(r.randrange(len(pseudo) + 1),
                          (name, r.choice([b'/a', b'foo.org', b'GET'])))
        elif kind == 'pseudo after regular':
            regular.append((b'x-before', b'1'))
            regular.append(r.choice([(b':path', b'/b'), (b':method', b'POST'), (b':x', b'y')]))
        elif kind == 'unknown pseudo':
            pseudo.append(r.choice([(b':foo', b'bar'), (b':status', b'200'), (b':', b''),
                                    (b':protocol', b'websocket')]))
        elif kind == 'uppercase name':
            regular.append(r.choice([(b'X-Upper', b'1'), (b'Host', b'foo.org'),
                                     (b'Content-Length', b'0'), (b'cOOkie', b'a=b')]))
            if r.random() < 0.3:
                pseudo.append((b':Path', b'/a'))
        elif kind == 'connection-specific':
            regular.append(r.choice([(b'connection', b'keep-alive'), (b'connection', b'close'),
                                     (b'connection', b'upgrade'), (b'keep-alive', b'timeout=5'),
                                     (b'proxy-connection', b'keep-alive'),
                                     (b'transfer-encoding', b'chunked'),
                                     (b'transfer-encoding', b'gzip, chunked'),
                                     (b'upgrade', b'h2c'), (b'upgrade', b'websocket'),
                                     (b'http2-settings', b'AAMAAABkAAQAAP__')]))
        elif kind == 'te':
            regular.append((b'te', r.choice([b'gzip', b'trailers, gzip', b''])))
        elif kind == 'content-length mismatch':
            wrong = max(0, total + r.choice([-1, 1, 5, 1000, 1 << 40]))
            regular.append((b'content-length', b'%d' % wrong))
        elif kind == 'content-length duplicate':
            regular.append((b'content-length', b'%d' % total))
            regular.append((b'content-length', r.choice([b'%d' % total, b'%d' % (total + 1)])))
        elif kind == 'content-length invalid':
            regular.append((b'content-length',
                            r.choice([b'-1', b'abc', b'%d, %d' % (total, total), b'',
                                      b' %d' % total, b'+%d' % total, b'18446744073709551616',
                                      b'0x10'])))
        elif kind == 'host header':
            regular.append((b'host', r.choice([b'foo.org', b'bar.org', b'', b'foo.org, bar.org'])))
            if r.random() < 0.5:
                pseudo[:] = [p for p in pseudo if p[0] != b':authority']
        elif kind == 'bad characters':
            regular.append(r.choice([(b'x bad', b'1'), (b'x:bad', b'1'), (b'x\x00bad', b'1'),
                                     (b'x-bad', b'a\r\nx-injected: 1'), (b'x-bad', b'\x00'),
                                     (b'x-bad', b' leading'), (b'x-bad', b'trailing '),
                                     (b'x-\xff', b'1'), (b'x-bad', b'\x7f\xfe')]))
        elif kind == 'empty name':
            regular.append((b'', b'x'))
        elif kind == 'long value':
            regular.append((b'x-long', b'v' * r.choice([1000, 8000, 20000, 40000])))
        elif kind == 'many headers':
            regular.extend((b'x-h%d' % i, b'v') for i in range(r.choice([100, 600, 2000])))
        elif kind == 'cookie crumbs':
            regular.extend((b'cookie', b'c%d=%d' % (i, i)) for i in range(r.choice([2, 10, 300])))
        elif kind == 'CONNECT':
            pseudo[:] = [(n, b'CONNECT' if n == b':method' else v) for n, v in pseudo]
            if r.random() < 0.5:
                pseudo[:] = [p for p in pseudo if p[0] not in (b':path', b':scheme')]
        elif kind == 'extended CONNECT':
            pseudo[:] = [(b':method', b'CONNECT'), (b':protocol', b'websocket'),
                         (b':scheme', b'http'), (b':authority', b'foo.org'), (b':path', b'/a')]
        elif kind == 'empty value pseudo':
            pseudo.append((b':path', b''))

    def encode(self, fields):
        r = self.r
        if self.bad(0.05):  # a dynamic table size update first, often too large
            self.enc.header_table_size = r.choice([0, 256, 4096, 4097, 1 << 16, 1 << 30])
        return self.enc.encode(fields, huffman=r.random() < 0.5)

    def header_frames(self, sid, block, end_stream, label, kind=HEADERS):
        """HEADERS (or PUSH_PROMISE) and CONTINUATIONs carrying `block`."""
        r = self.r
        pieces = [block]
        if len(block) > 16000:  # pieces of at most 16,000 bytes
            bounds = list(range(0, len(block), 16000)) + [len(block)]
            pieces = [block[a:b] for a, b in zip(bounds, bounds[1:])]
        elif r.random() < 0.2:
            k = r.choice([2, 2, 3, 5]) if not self.bad(0.3) else r.choice([9, 12])
            bounds = [0] + sorted(r.randint(0, len(block)) for _ in range(k - 1)) + [len(block)]
            pieces = [block[a:b] for a, b in zip(bounds, bounds[1:])]
        end_headers = not self.bad(0.03)
        build_sid = (sid & 0x7fffffff) or 1
        flags = (['END_STREAM'] if end_stream else []) + \
            (['END_HEADERS'] if end_headers and len(pieces) == 1 else [])
        if kind == HEADERS:
            pad = r.choice([None] * 8 + [0, r.randint(1, 255)])
            if pad is not None and len(pieces[0]) + pad + 6 > 16384:
                pad = None
            extra = {}
            if pad is not None:
                flags.append('PADDED')
                extra['pad_length'] = pad
            if r.random() < 0.12:
                flags.append('PRIORITY')
                dep = 0 if not self.bad(0.3) else r.choice([build_sid, r.randrange(1 << 31)])
                extra.update(depends_on=dep & 0x7fffffff, stream_weight=r.randint(0, 255),
                             exclusive=r.random() < 0.5)
            data = HeadersFrame(build_sid, data=pieces[0], flags=flags, **extra).serialize()
            if 'PADDED' in flags and self.bad(0.1):  # padding longer than the frame
                data = data[:9] + bytes([255]) + data[10:]
        else:  # PUSH_PROMISE from a client
            promised = struct.pack('>I', r.choice([2, 4, self.last_sid + 1]))
            data = frame(PUSH_PROMISE, 0x4 if 'END_HEADERS' in flags else 0, build_sid,
                         promised + pieces[0])
        if sid != build_sid:
            data = with_sid(data, sid)
        self.add('%s%s %s' % (NAMES[kind], ' ' + ','.join(flags) if flags else '', label), data)
        for i, piece in enumerate(pieces[1:], 1):
            last = i == len(pieces) - 1
            if self.bad(0.05):  # something else before the header block ends
                self.add('PING inside a header block',
                         PingFrame(0, opaque_data=b'inblock!').serialize())
            csid = build_sid if not self.bad(0.05) else build_sid + 2
            end = last and end_headers
            self.add('CONTINUATION %d/%d%s on %d'
                     % (i, len(pieces) - 1, ' END_HEADERS' * end, csid),
                     ContinuationFrame(csid, data=piece,
                                       flags=['END_HEADERS'] if end else []).serialize())

    def data_frames(self, sid, sizes, end_stream):
        r = self.r
        build_sid = (sid & 0x7fffffff) or 1
        for i, n in enumerate(sizes):
            last = i == len(sizes) - 1
            flags = ['END_STREAM'] if last and end_stream else []
            pad = r.choice([None] * 5 + [0, r.randint(1, 255)])
            extra = {}
            if pad is not None and n + pad + 1 <= 16384:
                flags.append('PADDED')
                extra['pad_length'] = pad
            payload = b'd' * n if r.random() < 0.7 else r.randbytes(n)
            data = DataFrame(build_sid, data=payload, flags=flags, **extra).serialize()
            if sid != build_sid:
                data = with_sid(data, sid)
            self.add('DATA %d bytes%s on %d' % (n, ' ' + ','.join(flags) if flags else '', sid),
                     data)

    def request(self):
        r = self.r
        sid, how = self.new_sid()
        body = r.random() < 0.35
        sizes = []
        if body:
            # within the stream's window (65,535) unless chaos says otherwise
            budget = 65535 if not self.bad(0.1) else 1 << 20
            for _ in range(r.choice([1, 1, 2, 3, 6])):
                n = r.choice([0, 1, r.randint(2, 1000), r.randint(1000, 16384), 16384])
                if self.bad(0.05):
                    n = r.choice([16385, r.randint(16385, 40000)])
                if n > budget:
                    break
                budget -= n
                sizes.append(n)
        total = sum(sizes)
        fields, notes = self.request_fields(body, total)
        block = self.encode(fields)
        desc = ' '.join(v.decode('latin-1')[:40] for n, v in fields if n in (b':method', b':path'))
        label = 'stream %d%s %s%s' % (sid, how, desc,
                                      ' [' + ', '.join(notes) + ']' if notes else '')
        end_on_headers = not body and r.random() < 0.9
        self.header_frames(sid, block, end_on_headers, label)
        if body:
            trailers = r.random() < 0.15
            end = not trailers and r.random() < 0.9
            self.data_frames(sid, sizes, end)
            if trailers:
                tfields = [(b'x-trailer', b'1')] if not self.bad(0.5) else r.choice(
                    [[(b':path', b'/x')], [(b'content-length', b'1')], [(b'grpc-status', b'0')]])
                self.header_frames(sid, self.encode(tfields), not self.bad(0.2),
                                   'trailers %r on %d' % (tfields, sid))

    # --- other frames
    def window_update(self):
        r = self.r
        sid = self.some_sid(zero_ok=True)
        inc = r.choice([1, 1000, 65535, 1 << 20])
        if self.bad(0.3):
            inc = r.choice([0, 0x7fffffff, 0x80000000 | r.randint(0, 100), r.randrange(1 << 32)])
        payload = struct.pack('>I', inc)
        length = None
        if self.bad(0.08):
            length = r.choice([0, 3, 5, 8])
            payload = payload[:length] + b'\0' * max(0, length - 4)
        for _ in range(1 if not self.bad(0.2) else r.choice([2, 3])):  # overflows the window
            self.add('WINDOW_UPDATE %d +%d' % (sid, inc),
                     frame(WINDOW_UPDATE, 0, sid, payload, length))

    def rst_stream(self):
        r = self.r
        sid = self.some_sid()
        code = r.choice(list(range(14)) + [r.randrange(1 << 32)])
        payload = struct.pack('>I', code)
        if self.bad(0.08):
            payload = payload[:r.choice([0, 3])] if r.random() < 0.5 else payload + b'\0'
        self.add('RST_STREAM %d %s' % (sid, ERRORS.get(code, hex(code))),
                 frame(RST_STREAM, 0, sid, payload))

    def ping(self):
        r = self.r
        ack = r.random() < 0.2
        data = PingFrame(0, opaque_data=r.randbytes(8), flags=['ACK'] if ack else []).serialize()
        label = 'PING%s' % (' ACK' if ack else '')
        if self.bad(0.08):
            data = frame(PING, 0, 0, r.randbytes(r.choice([0, 7, 9, 64])))
            label += ' bad length'
        if self.bad(0.05):
            data = with_sid(data, 1)
            label += ' on stream 1'
        for _ in range(r.choice([1, 1, 1, 3, 20])):
            self.add(label, data)

    def priority(self):
        r = self.r
        sid = self.some_sid() or 1
        dep = r.choice([0, r.randrange(1 << 31)]) if not self.bad(0.3) else sid
        if dep == sid:
            dep = 0 if not self.bad(0.3) else dep
        data = PriorityFrame(sid & 0x7fffffff or 1, depends_on=dep & 0x7fffffff,
                             stream_weight=r.randint(0, 255),
                             exclusive=r.random() < 0.5).serialize()
        label = 'PRIORITY %d on %d' % (sid, dep)
        if self.bad(0.08):
            data = with_length(data, r.choice([4, 6]))
            label += ' bad length'
        if self.bad(0.05):
            data = with_sid(data, 0)
            label += ' on stream 0'
        self.add(label, data)

    def goaway(self):
        r = self.r
        last = 0 if not self.bad(0.3) else r.choice([self.last_sid, 0x7fffffff, 2])
        code = r.choice([0, 1, 2, 0xb, r.randrange(1 << 32)])
        data = GoAwayFrame(0, last_stream_id=last, error_code=code,
                           additional_data=r.randbytes(r.choice([0, 0, 8, 100]))).serialize()
        label = 'GOAWAY last %d %s' % (last, ERRORS.get(code, hex(code)))
        if self.bad(0.08):
            data = frame(GOAWAY, 0, 0, r.randbytes(r.choice([0, 4, 7])))
            label = 'GOAWAY too short'
        if self.bad(0.05):
            data = with_sid(data, 1)
            label += ' on stream 1'
        self.add(label, data)

    def settings(self, first=False):
        r = self.r
        if not first and self.bad(0.3):  # nothing to acknowledge
            payload = b'' if r.random() < 0.7 else r.randbytes(6)
            self.add('SETTINGS ACK%s' % (' with a payload' if payload else ''),
                     frame(SETTINGS, 1, 0, payload))
            return
        good = {1: [0, 256, 4096, 65536], 2: [0, 1], 3: [0, 1, 100, 1000, 0x7fffffff],
                4: [0, 1, 65535, 1 << 20, 0x7fffffff], 5: [16384, 16777215, 65536],
                6: [0, 100, 8192, 1 << 20], 8: [0, 1], 9: [0, 1]}
        bad = {2: [2, 0xffffffff], 4: [0x80000000, 0xffffffff], 5: [0, 100, 16383, 16777216]}
        entries = []
        for _ in range(r.choice([0, 1, 2, 3, 3, 5])):
            ident = r.choice(list(good))
            if ident in bad and self.bad(0.2):
                entries.append((ident, r.choice(bad[ident])))
            else:
                entries.append((ident, r.choice(good[ident])))
        if r.random() < 0.1:  # unknown settings are ignored
            entries.append((r.choice([0, 7, 10, 0xff, 0xffff]), r.randrange(1 << 32)))
        if self.bad(0.03):
            entries.extend((3, 100) for _ in range(40))  # more entries than gatehouse takes
        payload = b''.join(struct.pack('>HI', i, v) for i, v in entries)
        label = 'SETTINGS %s' % ','.join('%d=%d' % e for e in entries[:8])
        sid = 0
        if self.bad(0.04):
            payload += r.randbytes(r.choice([1, 5]))
            label += ' bad length'
        if not first and self.bad(0.04):
            sid = 1
            label += ' on stream 1'
        self.add(label, frame(SETTINGS, 0, sid, payload))
        if first and r.random() < 0.6:
            self.add('SETTINGS ACK', frame(SETTINGS, 1, 0, b''))

    def push_promise(self):
        sid = self.last_sid or 1
        self.header_frames(sid, request_block(), False, 'from a client on %d' % sid,
                           kind=PUSH_PROMISE)

    def unknown(self):
        """Frames of unknown types are ignored (RFC 9113 §5.5), unless too large."""
        r = self.r
        kind = r.choice([0xa, 0xb, 0xc, 0x10, 0x14, 0xfa, 0xff, r.randint(0xa, 0xff)])
        n = r.choice([0, 8, r.randint(0, 100), 2000, 16384]) if not self.bad(0.1) else 20000
        self.add('unknown frame type 0x%x, %d bytes' % (kind, n),
                 frame(kind, r.randrange(256), self.some_sid(zero_ok=True), r.randbytes(n)))

    def random_bytes(self):
        n = self.r.choice([1, 9, self.r.randint(1, 200), 1000])
        self.add('%d random bytes' % n, self.r.randbytes(n), False)

    def a_valid_frame(self):
        r = self.r
        sid = self.last_sid or 1
        return r.choice([
            lambda: ('PING', PingFrame(0, opaque_data=b'12345678').serialize()),
            lambda: ('WINDOW_UPDATE', WindowUpdateFrame(0, window_increment=1000).serialize()),
            lambda: ('HEADERS', HeadersFrame(sid, data=request_block(),
                                             flags=['END_HEADERS', 'END_STREAM']).serialize()),
            lambda: ('DATA', DataFrame(sid, data=b'x' * r.randint(0, 100)).serialize()),
            lambda: ('SETTINGS', SettingsFrame(0, settings={3: 100}).serialize()),
            lambda: ('RST_STREAM', RstStreamFrame(sid, error_code=8).serialize()),
        ])()

    def bad_length(self):
        r = self.r
        name, data = self.a_valid_frame()
        n = len(data) - 9
        length = r.choice([max(0, n - 1), n + 1, 0, 16385, 0xffffff, r.randrange(1 << 24)])
        self.add('%s claiming %d bytes of %d' % (name, length, n), with_length(data, length))

    def truncated(self):
        name, data = self.a_valid_frame()
        cut = self.r.randint(1, len(data) - 1)
        self.add('%s truncated to %d of %d bytes' % (name, cut, len(data)), data[:cut])

    def orphan(self):
        r = self.r
        sid = self.some_sid()
        if r.random() < 0.6:
            data = frame(DATA, r.choice([0, 1]), sid, b'o' * r.randint(0, 100))
            self.add('DATA on %d (maybe not an open stream)' % sid, data)
        else:
            self.add('CONTINUATION on %d without HEADERS' % sid,
                     frame(CONTINUATION, r.choice([0, 4]), sid, request_block()))

    def bad_hpack(self):
        r = self.r
        bad = r.choice([
            ('index 0', b'\x80'),
            ('index past the tables', hpack_int(62 + r.randint(0, 5000), 7, 0x80)),
            ('name index past the tables',
             hpack_int(70 + r.randint(0, 5000), 6, 0x40) + b'\x01v'),
            ('huge table size update',
             hpack_int(r.choice([4097, 1 << 16, 1 << 31, (1 << 32) - 1]), 5, 0x20)),
            ('table size update after a field', b'\x82' + hpack_int(100, 5, 0x20)),
            ('three table size updates', hpack_int(0, 5, 0x20) * 3),
            ('integer overflow', b'\xff' + b'\xff' * r.choice([5, 10, 100]) + b'\x0f'),
            ('unterminated integer', b'\xff\xff\xff'),
            ('string longer than the block', b'\x00\x7f\xff\x01abc'),
            ('huge string length', b'\x00' + hpack_int(1 << 31, 7) + b'x'),
            ('Huffman EOS', b'\x00\x84\xff\xff\xff\xff\x01v'),
            ('Huffman padding too long', b'\x00\x82\xa8\xff\x01v'),
            ('Huffman padding not ones', b'\x00\x81\x00\x01v'),
            ('literal cut short', b'\x40\x05ab'),
            ('random block', r.randbytes(r.randint(1, 60))),
        ])
        where = r.random()
        if where < 0.4:
            block = bad[1] + request_block()
        elif where < 0.8:
            block = request_block() + bad[1]
        else:
            block = bad[1]
        sid, how = self.new_sid()
        self.header_frames(sid, block, True, 'stream %d%s HPACK %s' % (sid, how, bad[0]))

    def hpack_bomb(self):
        """A 4,000-byte field into the dynamic table, then referenced N times (1 byte each)."""
        r = self.r
        n = r.choice([10, 100, 1000, 15000])
        value = b'b' * 4000
        block = request_block() + literal(b'x-bomb', value, 0x40) + b'\xbe' * n
        self.enc.header_table.add(b'x-bomb', value)  # the server's table has it now
        sid, how = self.new_sid()
        self.header_frames(sid, block, True,
                           'stream %d%s HPACK bomb: 4000 bytes x %d' % (sid, how, n))

    def churn(self):
        """Fields with incremental indexing that evict each other from the dynamic table."""
        r = self.r
        fields = [(b':method', b'GET'), (b':scheme', b'http'), (b':authority', b'foo.org'),
                  (b':path', b'/a')]
        fields += [(b'x-churn-%d' % r.randrange(1 << 20),
                    r.randbytes(r.randint(0, 300)).hex().encode())
                   for _ in range(r.choice([5, 30, 100]))]
        sid, how = self.new_sid()
        self.header_frames(sid, self.encode(fields), True,
                           'stream %d%s dynamic table churn, %d fields' % (sid, how, len(fields)))

    # --- the whole sequence
    def build(self):
        r = self.r
        if self.bad(0.06):
            self.add(*r.choice([
                ('an HTTP/1.1 request instead of the preface',
                 b'GET /a HTTP/1.1\r\nHost: foo.org\r\n\r\n'),
                ('random bytes instead of the preface', r.randbytes(r.randint(1, 100))),
                ('HTTP/1.1 Upgrade: h2c',
                 b'GET /a HTTP/1.1\r\nHost: foo.org\r\nConnection: Upgrade, HTTP2-Settings\r\n'
                 b'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n')]), False)
        else:
            self.add('preface', PREFACE, False)
        if not self.bad(0.1):
            self.settings(first=True)
        if r.random() < 0.4:
            inc = r.choice([1000, 1 << 20, 0x7fffffff - 65535])
            self.add('WINDOW_UPDATE 0 +%d' % inc,
                     WindowUpdateFrame(0, window_increment=inc).serialize())
        c = self.chaos
        actions = [(self.request, 14), (self.window_update, 2), (self.rst_stream, 1),
                   (self.ping, 2), (self.priority, 1), (self.goaway, 0.3), (self.unknown, 1),
                   (self.settings, 1), (self.churn, 0.6), (self.hpack_bomb, 0.4 * c),
                   (self.push_promise, 0.3 * c), (self.random_bytes, 0.5 * c),
                   (self.bad_length, 1 * c), (self.truncated, 0.5 * c), (self.orphan, 1 * c),
                   (self.bad_hpack, 2 * c)]
        funcs, weights = zip(*actions)
        for _ in range(r.choice([1, 1, 2, 2, 3, 4, 6, 10, 25])):
            r.choices(funcs, weights)[0]()
        if r.random() < 0.08:
            self.goaway()

    def mutate(self):
        r = self.r
        if not self.bad(0.8) or not self.items:
            return
        for _ in range(r.choice([1, 1, 1, 2, 2, 3, 5])):
            op = r.choice(['flip', 'flip', 'flip', 'truncate', 'duplicate', 'swap', 'drop',
                           'insert random', 'length', 'shuffle', 'move'])
            n = len(self.items)
            if n == 0:
                break
            i = r.randrange(n)
            if i == 0 and n > 1 and r.random() < 0.9:  # mostly spare the preface
                i = r.randrange(1, n)
            label, data, is_frame = self.items[i]
            if op == 'flip' and data:
                data = bytearray(data)
                at = []
                for _ in range(r.choice([1, 1, 2, 4])):
                    # the frame header more often than the payload
                    k = r.randrange(min(len(data), 9)) if r.random() < 0.5 \
                        else r.randrange(len(data))
                    data[k] ^= r.randint(1, 255)
                    at.append(k)
                self.items[i][1] = bytes(data)
                self.mutations.append('flip item %d at %s' % (i, at))
            elif op == 'truncate' and len(data) > 1:
                cut = r.randrange(1, len(data))
                self.items[i][1] = data[:cut]
                self.mutations.append('truncate item %d to %d bytes' % (i, cut))
            elif op == 'duplicate':
                times = r.choice([1, 1, 2, 10])
                for _ in range(times):
                    self.items.insert(i + 1, list(self.items[i]))
                self.mutations.append('duplicate item %d x%d' % (i, times))
            elif op == 'swap' and n > 1:
                j = r.randrange(n)
                self.items[i], self.items[j] = self.items[j], self.items[i]
                self.mutations.append('swap items %d and %d' % (i, j))
            elif op == 'drop' and n > 1:
                del self.items[i]
                self.mutations.append('drop item %d' % i)
            elif op == 'insert random':
                blob = r.randbytes(r.choice([1, 9, r.randint(1, 50)]))
                self.items.insert(i, ['random bytes (mutation)', blob, False])
                self.mutations.append('insert %d random bytes at %d' % (len(blob), i))
            elif op == 'length' and is_frame and len(data) >= 9:
                length = r.choice([0, 1, max(0, len(data) - 10), len(data) - 8, 16384, 16385,
                                   0xffffff, r.randrange(1 << 24)])
                self.items[i][1] = with_length(data, length)
                self.mutations.append('length of item %d set to %d' % (i, length))
            elif op == 'shuffle' and n > 2:
                a = r.randrange(1, n)
                b = r.randint(a, n)
                part = self.items[a:b]
                r.shuffle(part)
                self.items[a:b] = part
                self.mutations.append('shuffle items %d..%d' % (a, b - 1))
            elif op == 'move' and n > 1:
                item = self.items.pop(i)
                j = r.randrange(n)
                self.items.insert(j, item)
                self.mutations.append('move item %d to %d' % (i, j))
        if r.random() < 0.15:
            total = sum(len(d) for _, d, _ in self.items)
            self.cut = r.randrange(total + 1)
            self.mutations.append('stream cut after %d of %d bytes' % (self.cut, total))

    def plan(self):
        """Writes: (bytes, pause after), the time to read after the last, how to close."""
        r = self.r
        data = b''.join(d for _, d, _ in self.items)
        cut = len(data) if self.cut is None else self.cut
        data = data[:cut]
        self.data = data
        pos, self.frames = 0, 0  # frames sent: the items that begin before the cut
        for _, d, is_frame in self.items:
            if pos < cut and is_frame:
                self.frames += 1
            pos += len(d)
        mode = r.choice(['all', 'items', 'items', 'split'])
        self.writes = []
        if mode == 'all' or not data:
            self.writes.append((data, 0))
        elif mode == 'items':
            pos = 0
            for _, d, _ in self.items:
                if pos >= cut:
                    break
                piece = d[:cut - pos]
                pos += len(d)
                self.writes.append((piece, r.choice([0] * 12 + [0.001, 0.01, 0.05])))
        else:
            k = r.randint(1, 10)
            bounds = [0] + sorted(r.randrange(len(data)) for _ in range(k - 1)) + [len(data)]
            for a, b in zip(bounds, bounds[1:]):
                self.writes.append((data[a:b], r.choice([0, 0, 0.001, 0.02])))
        self.mode = mode
        self.linger = r.choice([0, 0.02, 0.1, 0.1, 0.3, 0.3, 0.6, 1.0])
        self.close_mode = r.choice(['close'] * 5 + ['half-close'] * 3 + ['reset'] * 2)

    def describe(self, limit=60):
        lines = ['connection seed %d (chaos %.1f): %d bytes, %d frames, written %s, read %.2f s,'
                 ' then %s' % (self.seed, self.chaos, len(self.data), self.frames, self.mode,
                               self.linger, self.close_mode)]
        for i, (label, d, _) in enumerate(self.items[:limit]):
            lines.append('  [%d] %s (%d bytes)' % (i, label, len(d)))
        if len(self.items) > limit:
            lines.append('  ... %d more items' % (len(self.items) - limit))
        if self.mutations:
            lines.append('  mutations: ' + '; '.join(self.mutations))
        more = ' (the first %d)' % HEX_LIMIT if len(self.data) > HEX_LIMIT else ''
        lines.append('  bytes%s: %s' % (more, self.data[:HEX_LIMIT].hex()))
        return '\n'.join(lines)


# ---------------------------------------------------------------- what comes back

class Response:
    """Bytes from the server on a fuzzed connection, checked for well-formedness."""

    def __init__(self):
        self.buf = bytearray()
        self.total = 0
        self.end = None          # 'EOF', 'reset', ...

    def add(self, data):
        self.total += len(data)
        if len(self.buf) < (4 << 20):
            self.buf += data

    def analyse(self, h2_mode):
        """(summary dict, list of violations)."""
        violations = []
        summary = {'frames': collections.Counter(), 'goaway': None, 'status': [], 'rst': [],
                   'http1': None}
        buf = bytes(self.buf)
        if not h2_mode:
            if buf:
                summary['http1'] = buf.split(b'\r\n', 1)[0][:40].decode('latin-1')
                if not buf.startswith(b'HTTP/1.'):
                    violations.append('not an HTTP/1 response: %r' % buf[:60])
            return summary, violations
        decoder = hpack.Decoder()
        decoder.max_header_list_size = 1 << 24
        decoder.max_allowed_table_size = 1 << 16
        pos, first, partial = 0, True, {}
        while len(buf) - pos >= 9:
            n = int.from_bytes(buf[pos:pos + 3], 'big')
            if len(buf) - pos < 9 + n:
                break  # the rest was not read before the close
            kind, flags = buf[pos + 3], buf[pos + 4]
            sid = int.from_bytes(buf[pos + 5:pos + 9], 'big') & 0x7fffffff
            payload = buf[pos + 9:pos + 9 + n]
            pos += 9 + n
            summary['frames'][NAMES.get(kind, hex(kind))] += 1
            where = '%s frame on stream %d' % (NAMES.get(kind, hex(kind)), sid)
            if first:
                first = False
                if kind != SETTINGS or flags & 1 or sid:
                    violations.append('the server did not begin with its SETTINGS: ' + where)
            if kind in (SETTINGS, PING, GOAWAY) and sid:
                violations.append(where + ': must be on stream 0')
            if kind in (DATA, HEADERS, RST_STREAM, CONTINUATION, PRIORITY) and sid % 2 == 0:
                violations.append(where + ': not a client stream')
            if kind == PUSH_PROMISE:
                violations.append('the server pushed: ' + where)
            if kind == GOAWAY:
                if n < 8:
                    violations.append('GOAWAY of %d bytes' % n)
                elif summary['goaway'] is None:
                    code = int.from_bytes(payload[4:8], 'big')
                    summary['goaway'] = ERRORS.get(code, hex(code))
                    summary['goaway_debug'] = payload[8:80]
            elif kind == RST_STREAM and n == 4:
                code = int.from_bytes(payload, 'big')
                summary['rst'].append(ERRORS.get(code, hex(code)))
            elif kind in (HEADERS, CONTINUATION):
                block = payload
                if kind == HEADERS:
                    if flags & 0x8:
                        if not block or block[0] >= len(block):
                            violations.append(where + ': bad padding')
                            continue
                        block = block[1:len(block) - block[0]]
                    if flags & 0x20:
                        block = block[5:]
                    partial[sid] = block
                elif sid not in partial:
                    violations.append(where + ': CONTINUATION without HEADERS')
                    continue
                else:
                    partial[sid] += block
                if flags & 0x4:
                    try:
                        fields = decoder.decode(partial.pop(sid), raw=True)
                    except Exception as e:
                        violations.append(where + ': the header block does not decode: %r' % e)
                        break  # the decoder's state is lost from here
                    status = [v for k, v in fields if k == b':status']
                    if status:
                        summary['status'].append(status[0].decode('latin-1'))
                        if len(status[0]) != 3 or not status[0].isdigit():
                            violations.append(where + ': :status %r' % status[0])
                    elif not flags & 0x1 or len(fields) == 0:
                        violations.append(where + ': response headers without :status: %r'
                                          % fields[:5])
        return summary, violations


def run_connection(seq):
    """Sends the sequence, reads what comes back; returns (Response, note)."""
    resp = Response()
    note = ''
    try:
        sock = socket.create_connection(('127.0.0.1' if HOST == 'localhost' else HOST, PORT),
                                        timeout=OP_TIMEOUT)
    except OSError as e:
        return resp, 'connect failed: %r' % e
    sock.settimeout(SEND_TIMEOUT)

    def read_for(seconds):
        """Reads for `seconds` at most (what is already there when 0), until EOF or an error."""
        deadline = time.monotonic() + seconds
        while resp.end is None:
            left = deadline - time.monotonic()
            try:
                readable, _, _ = select.select([sock], [], [], max(0, left))
                if not readable:
                    return
                data = sock.recv(1 << 16)
            except OSError as e:
                resp.end = 'recv: %s' % e.__class__.__name__
                return
            if not data:
                resp.end = 'EOF'
                return
            resp.add(data)
            if left <= 0:
                return

    try:
        for piece, pause in seq.writes:
            read_for(0)
            if piece:
                sock.sendall(piece)
            if pause:
                read_for(pause)
    except socket.timeout:
        note = 'a send stalled for %.0f s' % SEND_TIMEOUT
    except OSError as e:
        note = 'send: %s' % e.__class__.__name__
    try:
        if seq.close_mode == 'half-close':
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            read_for(max(seq.linger, 1.0))
        else:
            read_for(seq.linger)
        if seq.close_mode == 'reset':
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    finally:
        sock.close()
    return resp, note


# ---------------------------------------------------------------- well-behaved clients

def h2_get():
    good = Client(HOST, PORT, OP_TIMEOUT)
    try:
        return good.get()
    finally:
        good.close()


def h1_get():
    """GET foo.org /a over HTTP/1.1 on a raw socket: (status line, body)."""
    with socket.create_connection((HOST, PORT), timeout=OP_TIMEOUT) as sock:
        sock.sendall(b'GET /a HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n')
        data = b''
        deadline = time.monotonic() + OP_TIMEOUT
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        else:
            raise TimeoutError('the response did not end in %.0f s: %r' % (OP_TIMEOUT, data[:80]))
    head, _, body = data.partition(b'\r\n\r\n')
    return head.split(b'\r\n', 1)[0].decode('latin-1'), body


def health(when):
    """Both well-behaved requests; True when both got 200 from foo-a."""
    good = True
    try:
        status, body = h2_get()
        if status == '200' and body.startswith(b'name=foo-a'):
            ok('%s: HTTP/2 GET foo.org /a -> 200' % when)
        else:
            fail('%s: HTTP/2 GET foo.org /a: status %s, body %r' % (when, status, body[:60]))
            good = False
    except Exception as e:
        fail('%s: HTTP/2 GET foo.org /a: %r' % (when, e))
        good = False
    try:
        line, body = h1_get()
        if line.startswith('HTTP/1.1 200') and body.startswith(b'name=foo-a'):
            ok('%s: HTTP/1.1 GET foo.org /a -> 200' % when)
        else:
            fail('%s: HTTP/1.1 GET foo.org /a: %r, body %r' % (when, line, body[:60]))
            good = False
    except Exception as e:
        fail('%s: HTTP/1.1 GET foo.org /a: %r' % (when, e))
        good = False
    return good


# ---------------------------------------------------------------- the run

class Fuzzer:
    def __init__(self, seed, seconds):
        self.master = random.Random(seed)
        self.seed, self.seconds = seed, seconds
        self.index = 0
        self.done = 0
        self.frames = 0
        self.bytes = 0
        self.recent = collections.deque(maxlen=LOG_KEEP)
        self.active = {}
        self.stop = threading.Event()
        self.stats = collections.defaultdict(collections.Counter)
        self.violations = 0
        self.down = None

    def next_sequence(self):
        with lock:
            i = self.index
            self.index += 1
            conn_seed = self.master.getrandbits(64)
        return i, conn_seed

    def worker(self):
        while not self.stop.is_set():
            i, conn_seed = self.next_sequence()
            try:
                seq = Sequence(conn_seed)
            except Exception:
                fail('building sequence %d (connection seed %d) raised:\n%s'
                     % (i, conn_seed, traceback.format_exc()))
                self.stop.set()
                return
            with lock:
                self.active[i] = seq
            resp, note = run_connection(seq)
            if note.startswith('connect failed'):  # the server is gone: keep the log as it was
                with lock:
                    del self.active[i]
                    self.down = note
                self.stop.set()
                return
            h2_mode = seq.data.startswith(PREFACE)
            summary, violations = resp.analyse(h2_mode)
            outcome = self.outcome(resp, note, summary)
            with lock:
                del self.active[i]
                self.recent.append((i, seq, outcome))
                self.done += 1
                self.frames += seq.frames
                self.bytes += len(seq.data)
                st = self.stats
                st['end'][resp.end or 'client closed'] += 1
                if summary['goaway']:
                    st['goaway'][summary['goaway']] += 1
                for s in summary['status']:
                    st['status'][s] += 1
                for c in summary['rst']:
                    st['rst'][c] += 1
                if summary['http1']:
                    st['http1'][summary['http1'][:12]] += 1
                if note:
                    st['note'][note.split(':')[0]] += 1
            if violations:
                with lock:
                    self.violations += 1
                fail('sequence %d: the server\'s answer is malformed: %s\n%s\n  outcome: %s'
                     % (i, '; '.join(violations[:5]), seq.describe(), outcome))

    @staticmethod
    def outcome(resp, note, summary):
        parts = ['%d bytes back' % resp.total, 'ended by %s' % (resp.end or 'our close')]
        if summary['frames']:
            parts.append('frames %s' % dict(summary['frames']))
        if summary['goaway']:
            parts.append('GOAWAY %s %r' % (summary['goaway'], summary.get('goaway_debug', b'')))
        if summary['status']:
            parts.append('statuses %s' % ','.join(summary['status'][:10]))
        if summary['http1']:
            parts.append('HTTP/1: %s' % summary['http1'])
        if note:
            parts.append(note)
        return ', '.join(parts)

    def dump(self):
        with lock:
            recent = list(self.recent)
            active = sorted(self.active.items())
        print('--- the last %d sequences finished (run seed %d):' % (len(recent), self.seed))
        for i, seq, outcome in recent:
            print('sequence %d: %s\n  outcome: %s' % (i, seq.describe(), outcome))
        print('--- sequences in flight:')
        for i, seq in active:
            print('sequence %d: %s' % (i, seq.describe()))
        print('--- replay one: /usr/bin/python3 %s HOST PORT replay CONNECTION_SEED' % sys.argv[0],
              flush=True)

    def run(self):
        start = time.monotonic()
        threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(PARALLEL)]
        for t in threads:
            t.start()
        next_check = CHECK_EVERY
        healthy = True
        while time.monotonic() - start < self.seconds and not self.stop.is_set():
            time.sleep(0.02)
            if self.done >= next_check:
                next_check = self.done + CHECK_EVERY
                if not health('after %d connections' % self.done):
                    healthy = False
                    break
        self.stop.set()
        for t in threads:
            t.join(15)
            if t.is_alive():
                fail('a fuzzing connection did not finish within 15 s of the end')
        elapsed = time.monotonic() - start
        if self.down:
            fail('after %d connections, a new one failed: %s' % (self.done, self.down))
            healthy = False
        if healthy:
            healthy = health('at the end, after %d connections' % self.done)
        print('seed %d: %d connections, %d frames, %d bytes sent in %.1f s' % (
            self.seed, self.done, self.frames, self.bytes, elapsed))
        for key in ('end', 'goaway', 'status', 'rst', 'http1', 'note'):
            if self.stats[key]:
                print('  %s: %s' % (key, dict(self.stats[key].most_common(12))))
        if not healthy:
            self.dump()
        return healthy


def replay(conn_seed):
    seq = Sequence(conn_seed)
    print(seq.describe(limit=1000))
    resp, note = run_connection(seq)
    summary, violations = resp.analyse(seq.data.startswith(PREFACE))
    print('outcome: ' + Fuzzer.outcome(resp, note, summary))
    for v in violations:
        fail('malformed answer: ' + v)
    time.sleep(0.2)
    health('after the replay')


def main():
    global HOST, PORT
    HOST, PORT = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[3] == 'replay':
        replay(int(sys.argv[4]))
        sys.exit(1 if failures() else 0)
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time())
    print('seed: %d (%.0f s, %d connections at once)' % (seed, seconds, PARALLEL), flush=True)
    fuzzer = Fuzzer(seed, seconds)

    def watchdog(signum, frame):
        print('FAIL: the run took more than %d s' % (int(seconds) + 90), flush=True)
        fuzzer.dump()
        os._exit(1)
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(int(seconds) + 90)
    if not health('before fuzzing'):
        sys.exit(1)
    fuzzer.run()
    sys.exit(summary())


if __name__ == '__main__':
    main()
