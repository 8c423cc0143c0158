#!/usr/bin/env bash
# gRPC through gatehouse serve: grpc_test.py runs a gRPC server (the pod, h2c) in its own process
# and then calls it through gatehouse, over h2c prior knowledge and over TLS (ALPN h2, a
# certificate for grpc.org made here by a local CA, in a kubernetes.io/tls Secret). The Ingress
# host grpc.org → Service grpc-pod, port appProtocol kubernetes.io/h2c → 127.0.0.1:POD. The checks
# (unary, metadata and trailers, abort as trailers-only, server/client/bidi streams, a client's
# cancel, a deadline) are described in grpc_test.py; afterwards serve is still up and exits 0 on
# SIGTERM.
# Needs Debian's /usr/bin/python3 with python3-grpcio (exit 77, skipped, without).
# usage: grpc_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
py=/usr/bin/python3
if ! timeout 20 $py -c 'import grpc' 2>/dev/null; then
  echo "skipped: $py cannot import grpc (apt-get install python3-grpcio)"
  exit 77
fi
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)

# --- Certificates -------------------------------------------------------------------------------
source "$source_dir/tests/e2e/tls_lib.sh"
make_cert grpc 5001 grpc.org

# --- The pod: grpc_test.py's server, which waits for $workdir/ready before calling -------------
pod=$(free_port)
start timeout 90 $py "$source_dir/tests/e2e/grpc_test.py" $pod "$workdir/ca.pem" "$workdir/ready"
py_pid=$last_pid
ports=($pod)  # start_serve waits for it

mkdir "$workdir/manifests"
m=$workdir/manifests
backend grpc-pod grpc.org $pod kubernetes.io/h2c grpc-tls > "$m/grpc.yaml"
tls_secret grpc-tls "$workdir/grpc.pem" "$workdir/grpc.key" > "$m/secret-grpc.yaml"

tls=$(free_port)
# --ssl-redirect=false: grpc.org (spec.tls) is also served over h2c on the plain listener.
start_serve --listen-tls 127.0.0.1:$tls --ssl-redirect=false
wait_port $tls || { cat "$workdir/serve.log"; exit 1; }
echo "$proxy $tls" > "$workdir/ready.tmp" && mv "$workdir/ready.tmp" "$workdir/ready"

wait $py_pid
status=$?
check "grpc_test.py: every check passed (exit 0; 124: timed out)" "0" "$status"
if kill -0 $serve_pid 2>/dev/null; then echo "ok: serve still running after the calls"
else fail "serve is gone:"$'\n'"$(tail -20 "$workdir/serve.log")"; fi
kill -TERM $serve_pid
wait $serve_pid
check "SIGTERM: exit 0" "0" "$?"
[ $failures -ne 0 ] && { echo "serve log:"; tail -20 "$workdir/serve.log"; }
finish
