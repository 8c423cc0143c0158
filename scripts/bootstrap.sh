#!/usr/bin/env bash
# Installs the Debian bookworm packages gatehouse needs to build, test and benchmark.
# Idempotent: packages already installed are skipped, and apt is not touched when none is missing.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config ca-certificates
  libboost1.81-dev libboost-json1.81-dev libyaml-cpp-dev libcli11-dev liburing-dev libssl-dev
  # tests, fuzzing, micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # real peers for the end-to-end tests; openssl makes the fake API server's certificates
  curl openssl
)
# python3 runs the fake API server (tests/kube); installed from Debian only when absent (it may
# come from elsewhere). kubectl is not installed: Debian's kubernetes-client is 1.20, too old for
# today's discovery and kustomize, so the kubectl checks run only where a kubectl >= 1.26 exists.
command -v python3 >/dev/null || packages+=(python3)

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
