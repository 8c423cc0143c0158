#!/usr/bin/env bash
# Installs the Debian bookworm packages gatehouse needs to build, test and benchmark.
# Idempotent: packages already installed are skipped, and apt is not touched when none is missing.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config ca-certificates
  libboost1.81-dev libboost-json1.81-dev libyaml-cpp-dev libcli11-dev liburing-dev libssl-dev
  libnghttp2-dev
  # tests, fuzzing, micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # real peers for the end-to-end tests; openssl makes the fake API server's certificates and
  # the TLS tests' ones; nghttp/h2load and nghttpd speak HTTP/2 on either side of the proxy
  curl openssl nghttp2-client nghttp2-server
  # HTTP/2 abuse and gRPC tests: Debian's modules, run by /usr/bin/python3 (another python3 may
  # come first on PATH and not see them)
  python3 python3-h2 python3-hyperframe python3-hpack python3-grpcio
)
# kubectl is not installed: Debian's kubernetes-client is 1.20, too old for today's discovery and
# kustomize, so the kubectl checks run only where a kubectl >= 1.26 exists.

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
