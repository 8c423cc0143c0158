"""HTTP/2 pieces shared by the e2e scripts that speak it by hand (h2_abuse_test.py,
h2_fuzz_test.py): HPACK header blocks written byte by byte (so a test controls every bit), and a
well-behaved h2c client on Debian's python3-h2 that checks the server is still serving."""
import socket
import time

import h2.config
import h2.connection
import h2.events


def hpack_int(value, prefix_bits, first=0):
    """HPACK integer (RFC 7541 §5.1) with the flag bits `first` above the prefix."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def literal(name, value, kind=0x10):
    """A literal field, no Huffman: never indexed (0x10, the default: no dynamic table change,
    so blocks can be reused), without indexing (0x00) or with incremental indexing (0x40);
    `name` a static/dynamic table index (int) or a string."""
    prefix = 6 if kind == 0x40 else 4
    if isinstance(name, int):
        head = hpack_int(name, prefix, kind)
    else:
        head = bytes([kind]) + hpack_int(len(name), 7) + name
    return head + hpack_int(len(value), 7) + value


def request_block(authority=b'foo.org', path=b'/a'):
    """GET http://AUTHORITY/PATH: :method GET (static 2), :scheme http (static 6), then :path
    (static name 4) and :authority (static name 1) as never-indexed literals."""
    return b'\x82\x86' + literal(4, path) + literal(1, authority)


class Client:
    """A well-behaved h2c client connection (h2, with its own validation)."""

    def __init__(self, host, port, timeout):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding='utf-8'))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())

    def get(self, authority='foo.org', path='/a'):
        """(status, body) of GET; raises when the connection fails or it takes over the timeout."""
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(':method', 'GET'), (':scheme', 'http'),
                                     (':authority', authority), (':path', path)], end_stream=True)
        self.sock.sendall(self.conn.data_to_send())
        status, body = None, b''
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError('closed by the server')
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == sid:
                    status = dict(event.headers).get(':status')
                elif isinstance(event, h2.events.DataReceived):
                    if event.stream_id == sid:
                        body += event.data
                    self.conn.acknowledge_received_data(event.flow_controlled_length,
                                                        event.stream_id)
                elif isinstance(event, h2.events.StreamReset) and event.stream_id == sid:
                    raise ConnectionError('stream reset, error code %d' % event.error_code)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    raise ConnectionError('GOAWAY, error code %d' % event.error_code)
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == sid:
                    self.sock.sendall(self.conn.data_to_send())
                    return status, body
            self.sock.sendall(self.conn.data_to_send())
        raise TimeoutError('no complete response in %.0f s' % self.timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
