#!/usr/bin/env bash
# --watch-namespace: gatehouse lists and watches only that namespace (IngressClasses are cluster
# scoped and still watched cluster-wide), so an Ingress elsewhere is not served.
# usage: kube_namespace_test.sh GATEHOUSE_BINARY SOURCE_DIR   (exit 77: skipped, a tool is missing)
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
source "$source_dir/tests/kube/lib.sh"
require_tools python3 openssl curl
workdir=$(mktemp -d /tmp/gatehouse-kube-ns.XXXXXX)

start_foobar_pods "$workdir/echo.log"
start_fake_apiserver
objects=$(python3 "$source_dir/tests/kube/foobar_objects.py" "${ports[@]}")
put_objects "$objects"                                          # in namespace default
put_objects "$(sed 's/"namespace": "default"/"namespace": "team-x"/g; s/foo\.org/foo.team-x.org/g' <<<"$objects")"

proxy=$(free_port)
admin=$(free_port)
url=http://127.0.0.1:$proxy
start "$gatehouse" serve --kubeconfig "$workdir/kubeconfig" --listen 127.0.0.1:$proxy \
  --admin-listen 127.0.0.1:$admin --workers 1 --watch-namespace team-x 2>"$workdir/serve.log"
for _ in $(seq 200); do
  [ "$(curl -s --max-time 2 http://127.0.0.1:$admin/readyz)" = ready ] && break
  sleep 0.05
done
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Host: $1" "$url$2"; }
check "an Ingress in the watched namespace is served" 200 "$(code foo.team-x.org /a)"
check "an Ingress in another namespace is not" 404 "$(code foo.org /a)"
paths=$(hook GET /fake/stats | python3 -c "import json, sys
s = json.load(sys.stdin)
print(' '.join(sorted({r['path'].split('?')[0] for r in s['recent'] if r['verb'] in ('list', 'watch')})))")
check "only namespace team-x is listed and watched (IngressClasses cluster-wide)" \
  "/api/v1/namespaces/team-x/secrets /api/v1/namespaces/team-x/services /apis/discovery.k8s.io/v1/namespaces/team-x/endpointslices /apis/networking.k8s.io/v1/ingressclasses /apis/networking.k8s.io/v1/namespaces/team-x/ingresses" \
  "$paths"
[ $failures -ne 0 ] && tail -20 "$workdir/serve.log"
finish
