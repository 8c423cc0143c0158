#!/usr/bin/env bash
# PROXY protocol listeners (--listen-proxy-protocol, --listen-tls-proxy-protocol): the client
# address a load balancer's v1 or v2 header names becomes the pod's X-Forwarded-For and
# X-Real-IP, over plain HTTP and TLS; a header sent in pieces is read exactly (the request after
# it intact); v2 LOCAL keeps the TCP peer; a connection without a valid header is closed with no
# answer; the plain --listen port does not read headers (a PROXY line
# there is a malformed request: 400).
# usage: proxy_protocol_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
py=/usr/bin/python3
start_foobar_pods
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
pp=$(free_port)
pp_tls=$(free_port)
while [ "$pp_tls" == "$pp" ]; do pp_tls=$(free_port); done
start_serve --listen-proxy-protocol 127.0.0.1:$pp --listen-tls-proxy-protocol 127.0.0.1:$pp_tls
wait_port $pp && wait_port $pp_tls || { cat "$workdir/serve.log"; exit 1; }

# send.py PORT MODE [TLS]: the header MODE names, then GET foo.org/a; prints the response (or
# "closed" when the connection ends with nothing).
cat > "$workdir/send.py" <<'PY'
import socket, ssl, struct, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
tls = len(sys.argv) > 3
v2sig = b'\r\n\r\n\x00\r\nQUIT\n'
headers = {
    'v1': b'PROXY TCP4 203.0.113.9 127.0.0.1 40000 80\r\n',
    'v1-6': b'PROXY TCP6 2001:db8::7 ::1 40000 80\r\n',
    'v2': v2sig + b'\x21\x11' + struct.pack('!H', 12) + bytes([198, 51, 100, 23, 127, 0, 0, 1]) + struct.pack('!HH', 40000, 80),
    'v2-tlv': v2sig + b'\x21\x11' + struct.pack('!H', 12 + 7) + bytes([198, 51, 100, 24, 127, 0, 0, 1]) + struct.pack('!HH', 40000, 80) + b'\x04\x00\x04abcd',
    'v2-local': v2sig + b'\x20\x00' + struct.pack('!H', 0),
    'none': b'',
    'garbage': b'PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n',
}
header = headers[mode.replace('-split', '')]
request = b'GET /a HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n'
s = socket.create_connection(('127.0.0.1', port), timeout=5)
if mode.endswith('-split'):  # the header in three pieces, the request after a pause
    for piece in (header[:5], header[5:17], header[17:]):
        s.sendall(piece)
        time.sleep(0.05)
else:
    s.sendall(header + (b'' if tls else request))
if tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        s = ctx.wrap_socket(s, server_hostname='foo.org')
    except (ssl.SSLError, OSError):
        print('closed')
        sys.exit(0)
    s.sendall(request)
elif mode.endswith('-split'):
    s.sendall(request)
data = b''
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except (ssl.SSLError, OSError):
    pass
print(data.decode('latin-1') if data else 'closed')
PY
ask() { timeout 10 $py "$workdir/send.py" "$@"; }
field() { grep -i "^header: $1:" <<<"$2" | sed "s/^header: [^:]*: //" | tr -d '\r'; }

for tls in "" tls; do
  port=$pp
  [ -n "$tls" ] && port=$pp_tls
  label=${tls:-plain}
  r=$(ask $port v1 $tls)
  contains "$label v1: the pod answers" "HTTP/1.1 200" "$r"
  check "$label v1: X-Forwarded-For is the header's client" "203.0.113.9" "$(field X-Forwarded-For "$r")"
  check "$label v1: X-Real-IP is the header's client" "203.0.113.9" "$(field X-Real-IP "$r")"
  r=$(ask $port v2 $tls)
  check "$label v2: X-Forwarded-For is the header's client" "198.51.100.23" "$(field X-Forwarded-For "$r")"
  r=$(ask $port v2-local $tls)
  check "$label v2 LOCAL: the TCP peer stays the client" "127.0.0.1" "$(field X-Forwarded-For "$r")"
  r=$(ask $port garbage $tls)
  check "$label: a malformed header closes the connection, no answer" "closed" "$r"
done
r=$(ask $pp v1-6)
check "v1 TCP6: the IPv6 client" "2001:db8::7" "$(field X-Forwarded-For "$r")"
r=$(ask $pp v2-tlv)
check "v2 with a TLV: read past it, the request intact" "198.51.100.24" "$(field X-Forwarded-For "$r")"
for mode in v1-split v2-split; do
  r=$(ask $pp $mode)
  contains "$mode: a header in pieces is read, the request after it intact" "HTTP/1.1 200" "$r"
done
r=$(ask $pp_tls v1-split tls)
check "TLS, a header in pieces: read exactly, the handshake after it" "203.0.113.9" "$(field X-Forwarded-For "$r")"
r=$(ask $pp none)
check "no header on a PROXY listener: closed, no answer" "closed" "$r"
r=$(ask $proxy v1)
contains "the plain --listen port reads no header: a PROXY line is a bad request" "HTTP/1.1 400" "$r"
grep -q "(PROXY protocol)" "$workdir/serve.log"
check "the start line names the PROXY listeners" 0 $?
finish
