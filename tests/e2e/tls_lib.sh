# Certificates for the end-to-end scripts that speak TLS. Source it after lib.sh, with $workdir
# set: it makes a local CA ($workdir/ca.pem, ca.key), which signs every leaf, so clients can
# verify with --cacert. All keys are P-256.
p256=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
timeout 10 openssl req -x509 "${p256[@]}" -days 30 -subj /CN=gatehouse-e2e-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout "$workdir/ca.key" -out "$workdir/ca.pem" 2>/dev/null || { echo "cannot make the CA"; exit 1; }
# make_cert NAME SERIAL HOST: $workdir/NAME.pem and NAME.key, a leaf for HOST (CN and SAN), valid
# 30 days, signed by the CA, with the given (hex) serial.
make_cert() {
  timeout 10 openssl req -x509 "${p256[@]}" -days 30 -subj "/CN=$3" \
    -addext "subjectAltName=DNS:$3" -addext basicConstraints=critical,CA:FALSE \
    -CA "$workdir/ca.pem" -CAkey "$workdir/ca.key" -set_serial "0x$2" \
    -keyout "$workdir/$1.key" -out "$workdir/$1.pem" 2>/dev/null || { echo "cannot make $1"; exit 1; }
}
# tls_secret NAME CERT_FILE KEY_FILE: a kubernetes.io/tls Secret in namespace default, the PEMs
# as block scalars in stringData.
tls_secret() {
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: default\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n' "$1"
  sed 's/^/    /' "$2"
  printf '  tls.key: |\n'
  sed 's/^/    /' "$3"
}
