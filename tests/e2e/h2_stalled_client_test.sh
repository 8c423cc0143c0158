#!/usr/bin/env bash
# An HTTP/2 client that stops reading (its stream window is 0) while a response is under way: once
# the body timeout passes, the stream ends with RST_STREAM and its pod connection is cut; the
# connection itself keeps serving other streams. Before, the pod connection was cut but the stream
# never ended.
# usage: h2_stalled_client_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
require_python_h2
start_foobar_pods
mkdir "$workdir/manifests"
foobar_manifest "${ports[@]}" > "$workdir/manifests/foobar.yaml"
start_serve --body-timeout-ms 1000
out=$(timeout 20 $py - 127.0.0.1 $proxy <<'PY'
import socket, sys, time
import h2.config, h2.connection, h2.events, h2.settings
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
conn.local_settings = h2.settings.Settings(client=True, initial_values={
    h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
conn.initiate_connection()
conn.send_headers(1, [(':method', 'GET'), (':scheme', 'http'), (':authority', 'foo.org'),
                      (':path', '/a/bytes/1000000')], end_stream=True)
sock.sendall(conn.data_to_send())
started, reset_after, status = time.monotonic(), None, None
while time.monotonic() - started < 12 and reset_after is None:
    sock.settimeout(0.5)
    try:
        data = sock.recv(65536)
    except socket.timeout:
        continue
    if not data:
        break
    for event in conn.receive_data(data):
        if isinstance(event, h2.events.ResponseReceived):
            status = dict(event.headers).get(b':status')
        if isinstance(event, h2.events.StreamReset) and event.stream_id == 1:
            reset_after = time.monotonic() - started
    sock.sendall(conn.data_to_send())
print('status', status.decode() if status else None)
print('reset', 'never' if reset_after is None else 'after %.1f s' % reset_after)
# The connection still serves: a small request on a new stream (window opened for it).
conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 65535})
conn.send_headers(3, [(':method', 'GET'), (':scheme', 'http'), (':authority', 'foo.org'),
                      (':path', '/a/next')], end_stream=True)
sock.sendall(conn.data_to_send())
done, deadline = False, time.monotonic() + 5
while not done and time.monotonic() < deadline:
    sock.settimeout(1)
    data = sock.recv(65536)
    if not data:
        break
    for event in conn.receive_data(data):
        if isinstance(event, h2.events.DataReceived):
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        if isinstance(event, h2.events.StreamEnded) and event.stream_id == 3:
            done = True
    sock.sendall(conn.data_to_send())
print('next', 'answered' if done else 'not answered')
PY
)
echo "$out"
check "the stalled stream got its response head" "status 200" "$(grep ^status <<<"$out")"
case "$(grep ^reset <<<"$out")" in
  "reset after "[1-4].*) echo "ok: the stalled stream ended with RST_STREAM after the body timeout" ;;
  *) fail "the stalled stream was not reset within 5 s: $(grep ^reset <<<"$out")" ;;
esac
check "the connection still serves another stream" "next answered" "$(grep ^next <<<"$out")"
finish
