#!/usr/bin/env bash
# deploy/deployment.yaml starts `gatehouse serve` with flags: each must be one the binary knows
# (a renamed flag would leave every replica crash-looping), and the RBAC must grant what the
# controller calls. With kubectl, the kustomize base must also render.
# usage: deploy_flags_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
source_dir=$2
source "$source_dir/tests/e2e/lib.sh"
help=$("$gatehouse" serve --help 2>&1)
flags=$(sed -n 's/^ *- \(--[a-z-]*\).*/\1/p' "$source_dir/deploy/deployment.yaml")
[ -n "$flags" ] || fail "no flags found in deploy/deployment.yaml"
for flag in $flags; do
  if grep -qE "(^| |,)$flag( |=|\$)" <<<"$help"; then echo "ok: serve knows $flag"
  else fail "serve does not know $flag (deploy/deployment.yaml uses it)"; fi
done
rbac=$(cat "$source_dir/deploy/rbac.yaml")
# The verbs the controller uses: status is written with a merge PATCH (src/status/status_writer.cpp).
contains "rbac.yaml lets the leader patch ingresses/status" 'resources: ["ingresses/status"]
    verbs: ["patch"]' "$rbac"
for resource in ingresses ingressclasses services endpointslices secrets ingresses/status leases events; do
  contains "rbac.yaml names $resource" "$resource" "$rbac"
done
source "$source_dir/tests/kube/lib.sh"
if [ "$(kubectl_minor)" -ge 26 ]; then  # Debian's 1.20 has a kustomize too old for deploy/
  rendered=$(timeout 30 kubectl kustomize "$source_dir/deploy" 2>&1)
  for kind in Namespace ServiceAccount ClusterRole ClusterRoleBinding Role RoleBinding IngressClass \
    Deployment Service PodDisruptionBudget; do
    contains "kubectl kustomize deploy/ renders a $kind" "kind: $kind" "$rendered"
  done
fi
# deploy/Containerfile's runtime stage installs a package for every shared library the binary
# links (ldd), besides the base image's libc6 and libgcc-s1: a missing one makes every pod fail
# at start. The io_uring package counts when this binary links liburing (its build arg).
runtime=$(sed -n 's/.*packages="\([^"$]*\)".*/\1/p; s/.*packages="\${packages} \([^"]*\)".*/\1/p' \
  "$source_dir/deploy/Containerfile" | tr '\n' ' ')
[ -n "$runtime" ] || fail "no packages= list found in deploy/Containerfile"
for library in $(ldd "$gatehouse" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
  real=$(readlink -f "$library")
  package=$(dpkg -S "$real" 2>/dev/null || dpkg -S "/usr$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null)
  package=${package%%:*}
  case " libc6 libgcc-s1 $runtime " in
    *" $package "*) echo "ok: the runtime image has $package for $(basename "$library")" ;;
    *) fail "deploy/Containerfile's runtime stage lacks ${package:-the package} of $(basename "$library")" ;;
  esac
done
finish
