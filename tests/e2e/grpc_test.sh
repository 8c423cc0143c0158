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
p256=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
timeout 10 openssl req -x509 "${p256[@]}" -days 30 -subj /CN=gatehouse-e2e-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout "$workdir/ca.key" -out "$workdir/ca.pem" 2>/dev/null || { echo "cannot make the CA"; exit 1; }
timeout 10 openssl req -x509 "${p256[@]}" -days 30 -subj /CN=grpc.org \
  -addext subjectAltName=DNS:grpc.org -addext basicConstraints=critical,CA:FALSE \
  -CA "$workdir/ca.pem" -CAkey "$workdir/ca.key" -set_serial 0x5001 \
  -keyout "$workdir/grpc.key" -out "$workdir/grpc.pem" 2>/dev/null || { echo "cannot make grpc.org"; exit 1; }

# --- The pod: grpc_test.py's server, which waits for $workdir/ready before calling -------------
pod=$(free_port)
start timeout 90 $py "$source_dir/tests/e2e/grpc_test.py" $pod "$workdir/ca.pem" "$workdir/ready"
py_pid=$last_pid
ports=($pod)  # start_serve waits for it

mkdir "$workdir/manifests"
m=$workdir/manifests
cat > "$m/grpc.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: grpc
  namespace: default
spec:
  tls:
  - hosts:
    - grpc.org
    secretName: grpc-tls
  rules:
  - host: grpc.org
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: grpc-pod
            port:
              number: 50051
---
apiVersion: v1
kind: Service
metadata:
  name: grpc-pod
  namespace: default
spec:
  ports:
  - port: 50051
    targetPort: $pod
    appProtocol: kubernetes.io/h2c
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: grpc-pod-local
  namespace: default
  labels:
    kubernetes.io/service-name: grpc-pod
addressType: IPv4
ports:
- name: ""
  port: $pod
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
EOF
{
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: grpc-tls\n  namespace: default\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n'
  sed 's/^/    /' "$workdir/grpc.pem"
  printf '  tls.key: |\n'
  sed 's/^/    /' "$workdir/grpc.key"
} > "$m/secret-grpc.yaml"

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
