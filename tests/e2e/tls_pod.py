# A pod that serves HTTP/1.1 over TLS (Python's standard library only), for the tests of TLS to
# pods. It tells each client what it saw, so the tests can check what gatehouse sent:
#   GET /info    → lines "key=value": tls (version), sni, alpn, reused (session resumption), conn
#                  (the client's port: one per connection), host, xfp (X-Forwarded-Proto), path
#   GET /close   → the same, then closes the connection (the next request needs a new one)
#   GET /bytes/N → N bytes (a repeating pattern)
#   POST /echo   → the request body back (Content-Length or chunked)
#   Upgrade: websocket → 101, then echoes raw bytes until the client closes
# usage: /usr/bin/python3 tls_pod.py PORT CERT KEY [1.2]   (1.2: TLS 1.2 at most)
import http.server
import socketserver
import ssl
import sys

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
context.set_alpn_protocols(["http/1.1"])
if len(sys.argv) > 4 and sys.argv[4] == "1.2":
    context.maximum_version = ssl.TLSVersion.TLSv1_2
server_names = {}  # id(SSL socket) -> the SNI it received


def on_server_name(sock, name, _context):
    server_names[id(sock)] = name


context.sni_callback = on_server_name
PATTERN = bytes(range(256)) * 256


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def info(self):
        s = self.connection
        lines = [
            "tls=%s" % s.version(),
            "sni=%s" % server_names.get(id(s)),
            "alpn=%s" % s.selected_alpn_protocol(),
            "reused=%s" % s.session_reused,
            "conn=%d" % self.client_address[1],
            "host=%s" % self.headers.get("Host"),
            "xfp=%s" % self.headers.get("X-Forwarded-Proto"),
            "path=%s" % self.path,
        ]
        return ("\n".join(lines) + "\n").encode()

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            while True:
                data = self.connection.recv(65536)
                if not data:
                    break
                self.connection.sendall(data)
            self.close_connection = True
        elif self.path == "/close":
            self.answer(200, self.info(), [("Connection", "close")])
            self.close_connection = True
        elif self.path.startswith("/bytes/"):
            n = int(self.path[len("/bytes/"):])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            while n > 0:
                piece = PATTERN[: min(n, len(PATTERN))]
                self.wfile.write(piece)
                n -= len(piece)
        else:
            self.answer(200, self.info())

    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer(200, bytes(body))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, address = self.socket.accept()
        # The handshake runs in the connection's thread, at its first read: a client that never
        # completes one holds only its own thread.
        return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address


Server(("127.0.0.1", port), Handler).serve_forever()
