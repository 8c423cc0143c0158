#!/usr/bin/env bash
# kubectl, a real client, against the fake API server (tests/kube/fake_apiserver.py): discovery,
# create, get, list, watch, label, replace and delete, and the errors as the real server words them
# (AlreadyExists, NotFound, Unauthorized, Conflict). If kubectl is happy with the fake, the
# controller's tests can trust its wire format.
# usage: fake_apiserver_kubectl_test.sh SOURCE_DIR   (exit 77: skipped, a tool is missing)
set -uo pipefail
source_dir=$1
for tool in kubectl python3 openssl timeout; do
  command -v $tool >/dev/null || { echo "skipped: no $tool on PATH"; exit 77; }
done
source "$source_dir/tests/e2e/lib.sh"
source "$source_dir/tests/kube/lib.sh"
if [ "$(kubectl_minor)" -lt 26 ]; then
  echo "skipped: kubectl $(kubectl_minor | sed 's/^/1./') is older than 1.26 (Debian's 1.20 cannot read"\
    "today's discovery without OpenAPI v2)"
  exit 77
fi
workdir=$(mktemp -d /tmp/gatehouse-kube.XXXXXX)
cd "$workdir" || exit 1

# A CA and a certificate for 127.0.0.1 it signed: kubectl verifies the server, as in a cluster.
start_fake_apiserver
port=${api##*:}
sed -i 's|^    tokenFile: .*|    token: token-1|; s|context: {cluster: fake, user: gatehouse}|context: {cluster: fake, user: gatehouse, namespace: default}|' \
  "$workdir/kubeconfig"
# Its own discovery cache, so that no run (or user) sees another's.
kc=(kubectl --kubeconfig "$workdir/kubeconfig" --cache-dir "$workdir/cache")
k() { timeout 10 "${kc[@]}" "$@" 2>&1; }
wait_for() {  # wait_for FILE TEXT: until the file has it (5 s at most)
  for _ in $(seq 100); do grep -qF -- "$2" "$1" && return 0; sleep 0.05; done
  return 1
}

# Create: kubectl reads discovery (it asks for the aggregated format, gets the legacy one) and
# the OpenAPI v3 index to see that the server validates fields itself.
out=$(k create -f "$source_dir/examples/foobar.yaml")
contains "create ingress" "ingress.networking.k8s.io/foobar created" "$out"
contains "create service" "service/bar-b created" "$out"
contains "create endpointslice" "endpointslice.discovery.k8s.io/foo-a-local created" "$out"
out=$(k create -f "$source_dir/examples/foobar.yaml")
contains "create again" 'ingresses.networking.k8s.io "foobar" already exists' "$out"

# Get and list.
check "ingress hosts" "foo.org bar.org" \
  "$(k get ingress foobar -o jsonpath='{.spec.rules[*].host}')"
contains "ingress as json" '"host": "foo.org"' "$(k get ingress foobar -o json)"
out=$(k get svc,endpointslices -A)
contains "services listed" "service/foo-b" "$out"
contains "endpointslices listed" "endpointslice.discovery.k8s.io/bar-a-local" "$out"
check "slices with the service-name label" 4 \
  "$(k get endpointslices -l kubernetes.io/service-name -o name | wc -l)"

# Watch: kubectl lists, then watches from the list's resourceVersion; a label is a MODIFIED.
start timeout 30 "${kc[@]}" get ingress -w --output-watch-events \
  -o jsonpath='{.type} {.object.metadata.name} {.object.metadata.labels.tier}{"\n"}' \
  >watch.txt 2>&1
wait_for watch.txt "ADDED foobar" || fail "no ADDED event: $(cat watch.txt)"
contains "label" "ingress.networking.k8s.io/foobar labeled" "$(k label ingress foobar tier=edge)"
wait_for watch.txt "MODIFIED foobar edge" || fail "no MODIFIED event: $(cat watch.txt)"
stats=$(python3 - "$port" "$workdir/ca.pem" <<'EOF'
import json, ssl, sys, urllib.request
tls = ssl.create_default_context(cafile=sys.argv[2])
with urllib.request.urlopen(f"https://127.0.0.1:{sys.argv[1]}/fake/stats", context=tls) as r:
    stats = json.load(r)
print(stats["open_watches"], " ".join(w["path"] for w in stats["watches"]))
EOF
)
contains "kubectl watches from the list's resourceVersion (/fake/stats)" \
  "1 /apis/networking.k8s.io/v1/namespaces/default/ingresses?resourceVersion=" "$stats"

# Delete, then NotFound as the real server words it; the watch sees the Ingress go.
contains "delete" 'service "foo-a" deleted' "$(k delete svc foo-a)"
contains "not found" 'Error from server (NotFound): services "foo-a" not found' \
  "$(k get svc foo-a)"
contains "delete ingress" 'ingress.networking.k8s.io "foobar" deleted' "$(k delete ingress foobar)"
wait_for watch.txt "DELETED foobar edge" || fail "no DELETED event: $(cat watch.txt)"

# A Lease replaced with a stale resourceVersion: Conflict, and the newer holder stays.
lease() {  # lease HOLDER [RESOURCE_VERSION]
  printf 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: gatehouse\n'
  [ -n "${2:-}" ] && printf '  resourceVersion: "%s"\n' "$2"
  printf 'spec:\n  holderIdentity: %s\n  leaseDurationSeconds: 15\n' "$1"
}
contains "create lease" "lease.coordination.k8s.io/gatehouse created" "$(lease a | k create -f -)"
rv=$(k get lease gatehouse -o jsonpath='{.metadata.resourceVersion}')
contains "replace lease" "lease.coordination.k8s.io/gatehouse replaced" \
  "$(lease b "$rv" | k replace -f -)"
stale='Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled'
stale+=' on leases.coordination.k8s.io "gatehouse": the object has been modified; please apply'
stale+=' your changes to the latest version and try again'
contains "stale replace" "$stale" "$(lease c "$rv" | k replace -f -)"
check "lease holder" b "$(k get lease gatehouse -o jsonpath='{.spec.holderIdentity}')"

# Tokens: a wrong one is refused; the token file is read on every request, so rewriting it
# rotates the token.
unauthorized="error: You must be logged in to the server (Unauthorized)"
contains "wrong token" "$unauthorized" "$(k --token=wrong get svc)"
echo token-2 >"$workdir/api-token"
contains "rotated token, old one" "$unauthorized" "$(k get svc)"
check "rotated token, new one" "service/foo-b" "$(k --token=token-2 get svc foo-b -o name)"

kill -TERM "$fake_pid"
wait "$fake_pid"
check "exit status on SIGTERM" 0 $?
[ $failures -ne 0 ] && { echo "--- fake-apiserver log:"; tail -40 "$workdir/fake.log"; }
finish
