# Shared by the tests that talk to the fake API server (tests/kube/fake_apiserver.py). Source it
# after tests/e2e/lib.sh, with $workdir set: start_fake_apiserver makes a CA and a certificate for
# 127.0.0.1 it signed, starts the fake (its PID in $fake_pid, its URL in $api), with the bearer
# token read from $workdir/api-token, and writes $workdir/kubeconfig (user token file:
# $workdir/client-token) for kubectl and gatehouse.
require_tools() {  # exit 77 (ctest: skipped) when a tool is missing
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "skipped: no $tool on PATH"; exit 77; }
  done
}

# kubectl_minor: the kubectl client's minor version (0 when there is none).
kubectl_minor() {
  command -v kubectl >/dev/null || { echo 0; return; }
  kubectl version --client -o json 2>/dev/null |
    sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -1 | grep . || echo 0
}

start_fake_apiserver() {  # start_fake_apiserver [FAKE ARGS...]
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1) port
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$workdir/server.ext"
  { openssl req -x509 "${ec[@]}" -keyout "$workdir/ca.key" -out "$workdir/ca.pem" \
      -subj /CN=fake-ca -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign &&
    openssl req "${ec[@]}" -keyout "$workdir/server.key" -out "$workdir/server.csr" \
      -subj /CN=127.0.0.1 &&
    openssl x509 -req -in "$workdir/server.csr" -CA "$workdir/ca.pem" -CAkey "$workdir/ca.key" \
      -CAcreateserial -days 1 -extfile "$workdir/server.ext" -out "$workdir/server.pem"; } \
    2>"$workdir/openssl.log" || { cat "$workdir/openssl.log"; exit 1; }
  echo token-1 >"$workdir/api-token"
  echo token-1 >"$workdir/client-token"
  port=$(free_port)
  start python3 "$source_dir/tests/kube/fake_apiserver.py" --port "$port" \
    --cert "$workdir/server.pem" --key "$workdir/server.key" --token-file "$workdir/api-token" \
    --quiet "$@" >"$workdir/fake.out" 2>"$workdir/fake.log"
  fake_pid=$last_pid
  for _ in $(seq 200); do grep -q listening "$workdir/fake.out" && break; sleep 0.05; done
  grep -q "listening on 127.0.0.1:$port" "$workdir/fake.out" ||
    { echo "FAIL: the fake API server did not start"; cat "$workdir/fake.log"; exit 1; }
  api=https://127.0.0.1:$port
  cat >"$workdir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: $api
    certificate-authority: $workdir/ca.pem
users:
- name: gatehouse
  user:
    tokenFile: $workdir/client-token
contexts:
- name: fake
  context: {cluster: fake, user: gatehouse}
current-context: fake
EOF
}

# api METHOD PATH [CURL ARGS...]: a request to the fake as a client with the current token.
api() {
  local method=$1 path=$2
  shift 2
  curl -s --max-time 5 --cacert "$workdir/ca.pem" -X "$method" \
    -H "Authorization: Bearer $(cat "$workdir/client-token")" "$@" "$api$path"
}
# hook METHOD PATH: one of the fake's /fake/ test hooks.
hook() { curl -s --max-time 5 --cacert "$workdir/ca.pem" -X "$1" "$api$2"; }
# put_objects JSON: creates or replaces objects (a List) through /fake/objects.
put_objects() {
  curl -s --max-time 5 --cacert "$workdir/ca.pem" -X POST -H 'Content-Type: application/json' \
    --data-binary "$1" "$api/fake/objects" >/dev/null
}
