# A pod that misbehaves on purpose, for the tests of what gatehouse does with a pod it cannot
# trust (tests/e2e/pool_safety_test.sh, path_pairs_test.sh). Every well-formed answer tells what
# the pod received:
#     answer for TARGET        the request-target exactly as it arrived
#     conn=N                   which of the pod's connections carried it (1, 2, ...)
#     cl=V,V                   the Content-Length field lines it received ("" when none)
#     te=V                     the Transfer-Encoding field, "" when none
#     body=B                   the request body (at most 64 bytes of it)
#     field NAME: VALUE        each header field it received (HTTP/2: names lower case)
# HTTP/1.1 (plain, or TLS with CERT KEY): the request path (after the last "/mode/" prefix below)
# chooses a fault; the "stray" response it sends is "HTTP/1.1 200 OK ... STRAY!", so a client that
# ever reads STRAY got bytes meant for nobody.
#     /stray/...    answers, then 10 ms later writes a stray response on the idle connection
#     /extra/...    answers and a stray response in the same write (bytes past the framing)
#     /204/...      204 No Content followed by a body (a stray response)
#     /shortcl/...  Content-Length smaller than the body it writes: the rest is stray bytes
#     /both/...     Content-Length: 3 and Transfer-Encoding: chunked; the body chunked
#     /close/...    half the body, then closes
#     HEAD ...      the head with Content-Length, then a body anyway (a stray response)
# h2c: answers every stream; for /data-after-end/... sends one more DATA frame on the stream after
# its END_STREAM.
# usage: python3 misbehaving_pod.py h1|h2c PORT [CERT KEY]
import socket
import ssl
import struct
import sys
import threading
import time

STRAY = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nSTRAY!"
mode, port = sys.argv[1], int(sys.argv[2])
tls_context = None
if len(sys.argv) > 4:
    tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_context.load_cert_chain(sys.argv[3], sys.argv[4])
    tls_context.set_alpn_protocols(["http/1.1"])
connections = 0
lock = threading.Lock()


def next_connection():
    global connections
    with lock:
        connections += 1
        return connections


def answer_text(target, conn, cls, te, body, fields=()):
    lines = "".join(f"field {n}: {v}\n" for n, v in fields)
    return (f"answer for {target}\nconn={conn}\ncl={','.join(cls)}\nte={te}\n"
            f"body={body[:64].decode('latin-1')}\n{lines}").encode()


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def until(self, marker):
        while marker not in self.buf:
            self.fill()
        out, self.buf = self.buf.split(marker, 1)
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def chunked(self):
        body = b""
        while True:
            size = int(self.until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                while self.until(b"\r\n"):  # trailer lines up to the empty one
                    pass
                return body
            body += self.exactly(size)
            self.exactly(2)


def serve_h1(sock):
    conn = next_connection()
    reader = Reader(sock)
    try:
        while True:
            head = reader.until(b"\r\n\r\n").split(b"\r\n")
            method, target, _ = head[0].decode("latin-1").split(" ", 2)
            fields = []
            for line in head[1:]:
                name, value = line.split(b":", 1)
                fields.append((name.strip().lower().decode(), value.strip().decode("latin-1")))
            cls = [v for n, v in fields if n == "content-length"]
            te = ",".join(v for n, v in fields if n == "transfer-encoding")
            body = b""
            if "chunked" in te:
                body = reader.chunked()
            elif cls:
                body = reader.exactly(int(cls[0].split(",")[0]))
            text = answer_text(target, conn, cls, te, body, fields)
            fault = target.split("/")[1] if target.count("/") > 1 else ""
            ok = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(text)
            if method == "HEAD":
                sock.sendall(ok + STRAY)
            elif fault == "stray":
                sock.sendall(ok + text)
                time.sleep(0.01)
                sock.sendall(STRAY)
            elif fault == "extra":
                sock.sendall(ok + text + STRAY)
            elif fault == "204":
                sock.sendall(b"HTTP/1.1 204 No Content\r\n\r\n" + STRAY)
            elif fault == "shortcl":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(text) - 8)
                             + text[:-8] + STRAY)
            elif fault == "both":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n"
                             + b"%x\r\n" % len(text) + text + b"\r\n0\r\n\r\n")
            elif fault == "close":
                sock.sendall(ok + text[: len(text) // 2])
                return
            else:
                sock.sendall(ok + text)
    except (EOFError, OSError, ValueError):
        pass
    finally:
        sock.close()


def serve_h2c(sock):
    import h2.config
    import h2.connection
    import h2.events

    conn_number = next_connection()
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding="latin-1"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    paths = {}
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            extra = b""
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    paths[event.stream_id] = (dict(event.headers)[":path"],
                                              [(n, v) for n, v in event.headers if n[0] != ":"])
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    sid = event.stream_id
                    path, fields = paths.pop(sid)
                    text = answer_text(path, conn_number, [], "", b"", fields)
                    conn.send_headers(sid, [(":status", "200"), ("content-length", str(len(text)))])
                    conn.send_data(sid, text, end_stream=True)
                    if path.startswith("/data-after-end/"):
                        extra += struct.pack(">I", 6)[1:] + b"\x00\x00" + struct.pack(">I", sid) + b"STRAY!"
            sock.sendall(conn.data_to_send() + extra)
    except (OSError, KeyError):
        pass
    finally:
        sock.close()


def main():
    serve = serve_h1 if mode == "h1" else serve_h2c
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    while True:
        sock, _ = listener.accept()
        if tls_context is not None:
            try:
                sock = tls_context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                continue
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


main()
