#!/usr/bin/env bash
# Installs the Debian bookworm packages gatehouse needs to build, test and benchmark.
# Idempotent: packages already installed are skipped, and apt is not touched when none is missing.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config ca-certificates
  libboost1.81-dev libboost-json1.81-dev libyaml-cpp-dev libcli11-dev liburing-dev
  # tests, fuzzing, micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # real peers for the end-to-end tests
  curl
)

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
