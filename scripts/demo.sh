#!/usr/bin/env bash
# The demo: the talk's foobar Ingress compiled to its routing table r1–r4, then two requests
# explained. (Once the data plane lands, this starts the proxy and four echo backends instead.)
set -euo pipefail
build=${1:-build}
gatehouse="$build/src/app/gatehouse"
cd "$(dirname "$0")/.."

echo "== gatehouse routes --manifests examples/foobar.yaml"
"$gatehouse" routes --manifests examples/foobar.yaml
echo
echo "== gatehouse explain --manifests examples/foobar.yaml --host foo.org --path /b/index.html"
"$gatehouse" explain --manifests examples/foobar.yaml --host foo.org --path /b/index.html 2>/dev/null
echo
echo "== gatehouse explain --manifests examples/foobar.yaml --host baz.org --path /a"
"$gatehouse" explain --manifests examples/foobar.yaml --host baz.org --path /a 2>/dev/null || true
