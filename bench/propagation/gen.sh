#!/usr/bin/env bash
# bench/propagation/gen.sh — the manifests of the propagation benchmark (bash + awk only).
#
#   gen.sh dir  N DIR ECHO_PORT      writes ceil(N/10) files DIR/ing-00000.yaml ... holding N
#                                    Ingress paths in all: file K = Ingress svc-K (host
#                                    svc-K.example.com, paths /p0 ... /p9, Prefix) + Service svc-K
#                                    (port 80 -> ECHO_PORT) + EndpointSlice (127.0.0.1:ECHO_PORT,
#                                    ready). The last file has N mod 10 paths when 10 does not
#                                    divide N.
#   gen.sh file K P ECHO_PORT [EXTRA...]
#                                    prints file K with P paths plus one Prefix path per EXTRA
#                                    (e.g. /new-3) to stdout: what the benchmark writes when it
#                                    adds a route.
# Every Service shares the one echo backend: the benchmark measures the control path, not pods.
set -euo pipefail

PER_FILE=10

usage() { sed -n '2,16p' "$0" >&2; exit 2; }

# awk program: emits file k (paths p, extras in EXTRAS, space-separated) to `out` ("-" = stdout).
read -r -d '' AWK_FILE <<'AWK' || true
function emit(k, p, extras, port, out,    i, n, e, host, name) {
  name = "svc-" k
  host = name ".example.com"
  if (out == "-") out = "/dev/stdout"
  printf "# propagation benchmark: Ingress %s (%d paths)\n", name, p > out
  printf "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: default\n", name > out
  printf "spec:\n  rules:\n  - host: %s\n    http:\n      paths:\n", host > out
  for (i = 0; i < p; i++)
    printf "      - path: /p%d\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              number: 80\n", i, name > out
  n = split(extras, e, " ")
  for (i = 1; i <= n; i++)
    printf "      - path: %s\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              number: 80\n", e[i], name > out
  printf "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: default\nspec:\n  ports:\n  - port: 80\n    targetPort: %d\n", name, port > out
  printf "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s-local\n  namespace: default\n  labels:\n    kubernetes.io/service-name: %s\naddressType: IPv4\nports:\n- name: \"\"\n  port: %d\n  protocol: TCP\nendpoints:\n- addresses: [\"127.0.0.1\"]\n  conditions:\n    ready: true\n", name, name, port > out
  if (out != "/dev/stdout") close(out)
}
AWK

case ${1:-} in
  dir)
    [ $# -eq 4 ] || usage
    n=$2 dir=$3 port=$4
    [[ $n =~ ^[0-9]+$ && $n -gt 0 && $port =~ ^[0-9]+$ ]] || usage
    mkdir -p "$dir"
    awk -v n="$n" -v dir="$dir" -v port="$port" -v per="$PER_FILE" "$AWK_FILE"'
      BEGIN {
        files = int((n + per - 1) / per)
        for (k = 0; k < files; k++) {
          p = (k == files - 1 && n % per) ? n % per : per
          emit(k, p, "", port, sprintf("%s/ing-%05d.yaml", dir, k))
        }
      }'
    ;;
  file)
    [ $# -ge 4 ] || usage
    k=$2 p=$3 port=$4
    shift 4
    awk -v k="$k" -v p="$p" -v port="$port" -v extras="$*" "$AWK_FILE"'
      BEGIN { emit(k, p, extras, port, "-") }'
    ;;
  *) usage ;;
esac
