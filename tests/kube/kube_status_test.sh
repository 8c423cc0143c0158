#!/usr/bin/env bash
# Two gatehouse replicas against the fake API server: they elect one leader on a Lease; only the
# leader writes status.loadBalancer.ingress (the --publish-service's address) on the Ingress it
# owns, clears it on an Ingress of another class that still shows it, and records an Event for
# an Ingress it rejects. Killing the leader (SIGKILL: no goodbye) hands the Lease and the status
# writing to the other replica; SIGTERM releases the Lease.
# usage: kube_status_test.sh GATEHOUSE_BINARY SOURCE_DIR   (exit 77: skipped, a tool is missing)
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
source "$source_dir/tests/kube/lib.sh"
require_tools python3 openssl curl
workdir=$(mktemp -d /tmp/gatehouse-kube-status.XXXXXX)

start_foobar_pods "$workdir/echo.log"
start_fake_apiserver
# Ingress foobar carries an annotation that writing its status must not lose.
put_objects "$(python3 "$source_dir/tests/kube/foobar_objects.py" "${ports[@]}" | python3 -c "
import json, sys
objects = json.load(sys.stdin)
for o in objects['items']:
    if o['kind'] == 'Ingress':
        o['metadata']['annotations'] = {'example.com/owner': 'payments'}
print(json.dumps(objects))")"
# The load balancer Service in front of the replicas, with the address the cloud gave it; an
# Ingress of another class that still shows that address; an Ingress gatehouse must reject.
lb_service() {
  echo '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gatehouse",
    "namespace": "gatehouse"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    "status": {"loadBalancer": {"ingress": [{"ip": "'"$1"'"}]}}}'
}
put_objects "$(lb_service 203.0.113.7)"
put_objects '{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
   "metadata": {"name": "other", "namespace": "default"},
   "spec": {"ingressClassName": "nginx", "rules": [{"host": "other.org"}]},
   "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}},
  {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
   "metadata": {"name": "broken", "namespace": "default"},
   "spec": {"ingressClassName": "gatehouse", "rules": [{"host": "broken.org", "http": {"paths":
     [{"path": "no-slash", "pathType": "Prefix", "backend": {"service": {"name": "foo-a",
       "port": {"number": 8080}}}}]}}]}}]}'

replica() {  # replica NAME: starts it, its PID in pid_NAME
  start "$gatehouse" serve --kubeconfig "$workdir/kubeconfig" --listen 127.0.0.1:$(free_port) \
    --workers 1 --pod-name "$1" --publish-service gatehouse/gatehouse \
    --election-namespace gatehouse --election-ttl 3 2>"$workdir/$1.log"
  eval "pid_$1=$last_pid"
}
replica alpha
replica beta

json_get() {  # json_get PATH PYTHON-EXPRESSION over the object as `o` ("" when absent)
  api GET "$1" | python3 -c "import json, sys
try:
    o = json.load(sys.stdin); print($2)
except Exception:
    print('')"
}
lease='/apis/coordination.k8s.io/v1/namespaces/gatehouse/leases/gatehouse-leader'
holder() { json_get "$lease" 'o["spec"].get("holderIdentity", "")'; }
status_of() {
  json_get "/apis/networking.k8s.io/v1/namespaces/default/ingresses/$1" \
    '",".join(e.get("ip", e.get("hostname", "")) for e in (o.get("status", {}).get("loadBalancer", {}).get("ingress") or []))'
}
# eventually WHAT WANT SECONDS CMD...: CMD prints WANT within SECONDS.
eventually() {
  local what=$1 want=$2 seconds=$3 got t0
  shift 3
  t0=$(date +%s%N)
  while :; do
    got=$("$@")
    [ "$got" = "$want" ] && { echo "ok: $what ($((($(date +%s%N) - t0) / 1000000)) ms)"; return 0; }
    [ $(($(date +%s%N) - t0)) -gt $((seconds * 1000000000)) ] &&
      { fail "$what: want [$want] within $seconds s, got [$got]"; return 1; }
    sleep 0.1
  done
}
one_of() { local h; h=$(holder); case $h in alpha | beta) echo leader ;; *) echo "[$h]" ;; esac; }

eventually "one replica holds the Lease" leader 10 one_of
leader=$(holder)
eventually "the leader published the load balancer's address on Ingress foobar" 203.0.113.7 10 \
  status_of foobar
eventually "the Ingress of another class no longer shows our address" "" 10 status_of other
check "writing the status kept the Ingress's annotations" payments \
  "$(json_get /apis/networking.k8s.io/v1/namespaces/default/ingresses/foobar \
    'o["metadata"].get("annotations", {}).get("example.com/owner", "")')"
events() {
  api GET /api/v1/namespaces/default/events | python3 -c "import json, sys
items = json.load(sys.stdin)['items']
print(sum(1 for e in items if e['involvedObject']['name'] == 'broken' and e['reason'] == 'Rejected'))"
}
eventually "one Warning Event records that Ingress broken was rejected" 1 10 events
check "exactly one replica says it leads" 1 "$(cat "$workdir"/alpha.log "$workdir"/beta.log | grep -c 'now holds Lease')"

# The leader dies without releasing the Lease: the other takes over once it has seen the lease
# unchanged for its duration (3 s), and writes the status from then on.
if [ "$leader" = alpha ]; then victim=$pid_alpha survivor=beta; else victim=$pid_beta survivor=alpha; fi
kill -KILL "$victim"
wait "$victim" 2>/dev/null
eventually "after the leader's death, $survivor holds the Lease" "$survivor" 10 holder
put_objects "$(lb_service 198.51.100.9)"
eventually "the new leader writes the new address" 198.51.100.9 10 status_of foobar
# Each leader records a rejection once (the new one does not know the old one's Events).
check "the new leader recorded the rejection once more, and only once" 2 "$(events)"

survivor_pid=$(eval echo "\$pid_$survivor")
kill -TERM "$survivor_pid"
wait "$survivor_pid"
check "SIGTERM: the survivor exits 0" 0 $?
check "and released the Lease" "" "$(holder)"
[ $failures -ne 0 ] && { for f in alpha beta; do echo "--- $f.log"; tail -20 "$workdir/$f.log"; done; }
finish
