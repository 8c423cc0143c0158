#!/usr/bin/env bash
# A kubeconfig user with a client certificate and key (no token): gatehouse authenticates with
# them; a certificate from a CA the API server does not trust gets nowhere (never ready).
# usage: kube_client_cert_test.sh GATEHOUSE_BINARY SOURCE_DIR   (exit 77: skipped, a tool is missing)
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
source "$source_dir/tests/kube/lib.sh"
require_tools python3 openssl curl
workdir=$(mktemp -d /tmp/gatehouse-kube-cert.XXXXXX)

ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1)
client_cert() {  # client_cert NAME CA: NAME.key and NAME.pem, signed by CA (made if absent)
  [ -e "$workdir/$2.pem" ] || openssl req -x509 "${ec[@]}" -keyout "$workdir/$2.key" \
    -out "$workdir/$2.pem" -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null
  openssl req "${ec[@]}" -keyout "$workdir/$1.key" -out "$workdir/$1.csr" \
    -subj "/CN=system:gatehouse/O=gatehouse" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$workdir/client.ext"
  openssl x509 -req -in "$workdir/$1.csr" -CA "$workdir/$2.pem" -CAkey "$workdir/$2.key" \
    -CAcreateserial -days 1 -extfile "$workdir/client.ext" -out "$workdir/$1.pem" 2>/dev/null
}
client_cert good client-ca
client_cert rogue other-ca

start_foobar_pods "$workdir/echo.log"
start_fake_apiserver --client-ca "$workdir/client-ca.pem"
put_objects "$(python3 "$source_dir/tests/kube/foobar_objects.py" "${ports[@]}")"
kubeconfig_with() {  # kubeconfig_with NAME: the kubeconfig, its user authenticating as NAME.pem
  sed "s|^    tokenFile: .*|    client-certificate: $workdir/$1.pem\n    client-key: $workdir/$1.key|" \
    "$workdir/kubeconfig" >"$workdir/kubeconfig-$1"
}
kubeconfig_with good
kubeconfig_with rogue

serve_with() {  # serve_with NAME: gatehouse on the kubeconfig of NAME; ports in $proxy, $admin
  proxy=$(free_port)
  admin=$(free_port)
  start "$gatehouse" serve --kubeconfig "$workdir/kubeconfig-$1" --listen 127.0.0.1:$proxy \
    --admin-listen 127.0.0.1:$admin --workers 1 2>"$workdir/serve-$1.log"
  wait_port $admin
}
ready_within() {  # ready_within SECONDS: "ready" or what /readyz last said
  local said=""
  for _ in $(seq $(($1 * 20))); do
    said=$(curl -s --max-time 1 http://127.0.0.1:$admin/readyz)
    [ "$said" = ready ] && break
    sleep 0.05
  done
  echo "$said"
}

serve_with good
check "a client certificate the API server trusts: synced" ready "$(ready_within 10)"
check "r1 served" 200 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: foo.org' http://127.0.0.1:$proxy/a)"

serve_with rogue
check "a certificate from another CA: never ready" "not ready" "$(ready_within 2)"
contains "and the log says why" "alert unknown ca" "$(cat "$workdir/serve-rogue.log")"
finish
