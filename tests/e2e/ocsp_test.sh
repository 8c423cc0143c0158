#!/usr/bin/env bash
# OCSP stapling from the Secret's tls.ocsp (a DER OCSP response, made here by `openssl ocsp` as
# the test CA's responder), seen by `openssl s_client -status`: a good response for the
# certificate is stapled for clients that ask (and verifies against the CA); a host whose Secret
# has no tls.ocsp staples nothing; a response for another certificate, a "revoked" one and
# garbage are each refused with a warning naming the Secret while the certificate still serves
# without a staple; replacing the Secret live with a good response starts stapling. (Not tested:
# a staple stops at its nextUpdate; `openssl ocsp` makes no response shorter than a minute.)
# usage: ocsp_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
workdir=$(mktemp -d /tmp/gatehouse-e2e.XXXXXX)
source "$source_dir/tests/e2e/tls_lib.sh"

# ocsp_response CERT SERIAL STATUS OUT [VALIDITY...]: a response from the CA for CERT, status V
# (good) or R (revoked), valid one day (or as VALIDITY says: openssl ocsp's -ndays/-nmin).
ocsp_response() {
  local exp
  [ $# -gt 4 ] || set -- "$@" -ndays 1
  exp=$(date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
  if [ "$3" == V ]; then
    printf 'V\t%s\t\t%s\tunknown\t/CN=x\n' "$exp" "$2" > "$workdir/index.txt"
  else
    printf 'R\t%s\t%s\t%s\tunknown\t/CN=x\n' "$exp" "$(date -u +%y%m%d%H%M%SZ)" "$2" > "$workdir/index.txt"
  fi
  timeout 10 openssl ocsp -issuer "$workdir/ca.pem" -cert "$1" -no_nonce -reqout "$workdir/req.der" 2>/dev/null &&
    timeout 10 openssl ocsp -index "$workdir/index.txt" -rsigner "$workdir/ca.pem" -rkey "$workdir/ca.key" \
      -CA "$workdir/ca.pem" -reqin "$workdir/req.der" -respout "$4" "${@:5}" >/dev/null 2>&1 ||
    { echo "cannot make the OCSP response $4"; exit 1; }
}
# ocsp_secret NAME CERT KEY OCSP_FILE: a kubernetes.io/tls Secret with tls.ocsp, all base64 in data.
ocsp_secret() {
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: default\ntype: kubernetes.io/tls\ndata:\n' "$1"
  printf '  tls.crt: %s\n  tls.key: %s\n  tls.ocsp: %s\n' "$(base64 -w0 < "$2")" "$(base64 -w0 < "$3")" "$(base64 -w0 < "$4")"
}
n=0
for name in good plain other revoked garbage late; do make_cert $name 700$((++n)) $name.org; done
ocsp_response "$workdir/good.pem" 7001 V "$workdir/good.der"
ocsp_response "$workdir/plain.pem" 7002 V "$workdir/plain.der"  # given to "other": wrong cert
ocsp_response "$workdir/revoked.pem" 7004 R "$workdir/revoked.der"
ocsp_response "$workdir/late.pem" 7006 V "$workdir/late.der"
head -c 300 /dev/urandom > "$workdir/garbage.der"

start_foobar_pods
m=$workdir/manifests
mkdir "$m"
for name in good plain other revoked garbage late; do
  backend $name $name.org ${ports[0]} http $name-tls > "$m/$name.yaml"
done
ocsp_secret good-tls "$workdir/good.pem" "$workdir/good.key" "$workdir/good.der" > "$m/s-good.yaml"
tls_secret plain-tls "$workdir/plain.pem" "$workdir/plain.key" > "$m/s-plain.yaml"
ocsp_secret other-tls "$workdir/other.pem" "$workdir/other.key" "$workdir/plain.der" > "$m/s-other.yaml"
ocsp_secret revoked-tls "$workdir/revoked.pem" "$workdir/revoked.key" "$workdir/revoked.der" > "$m/s-revoked.yaml"
ocsp_secret garbage-tls "$workdir/garbage.pem" "$workdir/garbage.key" "$workdir/garbage.der" > "$m/s-garbage.yaml"
tls_secret late-tls "$workdir/late.pem" "$workdir/late.key" > "$m/s-late.yaml"  # tls.ocsp added later
tls=$(free_port)
start_serve --listen-tls 127.0.0.1:$tls
wait_port $tls || { cat "$workdir/serve.log"; exit 1; }

# status HOST: what s_client -status reports: "Cert Status: good", or "no response sent"
status() {
  timeout 10 openssl s_client -connect 127.0.0.1:$tls -servername $1 -status -CAfile "$workdir/ca.pem" \
    </dev/null 2>/dev/null | grep -E -m1 'Cert Status:|OCSP response: no response sent' | sed 's/^ *//'
}
check "good.org: the response is stapled" "Cert Status: good" "$(status good.org)"
out=$(timeout 10 openssl s_client -connect 127.0.0.1:$tls -servername good.org -status -CAfile "$workdir/ca.pem" \
  </dev/null 2>&1 | grep -E -m1 'OCSP Response Status|Verify return code')
check "good.org: the stapled response is a successful one" "OCSP Response Status: successful (0x0)" "$(sed 's/^ *//' <<<"$out")"
check "good.org: a client not asking gets no staple, and the handshake works" "Verify return code: 0 (ok)" \
  "$(timeout 10 openssl s_client -connect 127.0.0.1:$tls -servername good.org -CAfile "$workdir/ca.pem" </dev/null 2>/dev/null |
     grep -m1 -o 'Verify return code: .*')"
check "plain.org (no tls.ocsp): nothing stapled" "OCSP response: no response sent" "$(status plain.org)"
for name in other revoked garbage; do
  check "$name.org (unusable tls.ocsp): nothing stapled" "OCSP response: no response sent" "$(status $name.org)"
  check "$name.org: the certificate still serves" "200" \
    "$(timeout 10 curl -s -o /dev/null -w '%{http_code}' --cacert "$workdir/ca.pem" --resolve $name.org:$tls:127.0.0.1 https://$name.org:$tls/)"
done
log=$(cat "$workdir/serve.log")
contains "log: the response for another certificate, with the Secret named" \
  "Secret default/other-tls: tls.ocsp: the response is about another certificate" "$log"
contains "log: the revoked response" "Secret default/revoked-tls: tls.ocsp: the response says the certificate is revoked" "$log"
contains "log: the garbage" "Secret default/garbage-tls: tls.ocsp: not a DER OCSP response" "$log"

# The Secret renewed with a response: new handshakes staple it.
check "late.org before: nothing stapled" "OCSP response: no response sent" "$(status late.org)"
ocsp_secret late-tls "$workdir/late.pem" "$workdir/late.key" "$workdir/late.der" > "$workdir/s-late.new"
mv "$workdir/s-late.new" "$m/s-late.yaml"
got=
for _ in $(seq 50); do
  got=$(status late.org)
  [ "$got" == "Cert Status: good" ] && break
  sleep 0.1
done
check "late.org after its Secret gained tls.ocsp: stapled" "Cert Status: good" "$got"
kill -0 $serve_pid 2>/dev/null || fail "gatehouse serve exited"
finish
