#!/usr/bin/env bash
# The command line as a user sees it: routes, explain and validate on the examples.
# usage: cli_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -uo pipefail
gatehouse=$1
cd "$2"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_line() {  # expect_line OUTPUT REGEX WHAT
  grep -Eq -- "$2" <<<"$1" || fail "$3: no line matches /$2/ in:"$'\n'"$1"
}

# routes: the talk's table r1–r4, exactly.
out=$(timeout 10 "$gatehouse" routes --manifests examples/foobar.yaml 2>/tmp/gatehouse-cli-$$.err)
status=$?
[ $status -eq 0 ] || fail "routes exited $status"
expect_line "$out" '^Rule +\| Host +\| Path +\| Service ' "header"
expect_line "$out" '^r1 +\| foo\.org +\| /a +\| foo-a:8080 +\| Prefix +\| default/foobar +\| 127\.0\.0\.1:18080$' "r1"
expect_line "$out" '^r2 +\| foo\.org +\| /b +\| foo-b:8181 +\| Prefix +\| default/foobar +\| 127\.0\.0\.1:18181$' "r2"
expect_line "$out" '^r3 +\| bar\.org +\| /a +\| bar-a:9090 +\| Prefix +\| default/foobar +\| 127\.0\.0\.1:19090$' "r3"
expect_line "$out" '^r4 +\| bar\.org +\| /b +\| bar-b:9191 +\| Prefix +\| default/foobar +\| 127\.0\.0\.1:19191$' "r4"
[ "$(grep -c '^r[0-9]' <<<"$out")" -eq 4 ] || fail "routes printed other than 4 rules"
expect_line "$(cat /tmp/gatehouse-cli-$$.err)" 'pathType.*Prefix' "missing pathType warning"
rm -f /tmp/gatehouse-cli-$$.err

json=$(timeout 10 "$gatehouse" routes --manifests examples/foobar.yaml --output json 2>/dev/null)
expect_line "$json" '"rule":"r1","host":"foo.org","path":"/a","pathType":"Prefix"' "json r1"
expect_line "$json" '"endpoints":\["127.0.0.1:18080"\]' "json endpoints"

# explain: exit 0 on a match and names the winner and the loser; 1 when nothing matches.
out=$(timeout 10 "$gatehouse" explain -m examples/wildcard-hosts.yaml --host EU.shop.example:443 --path /cart 2>/dev/null)
status=$?
[ $status -eq 0 ] || fail "explain of a matching request exited $status"
expect_line "$out" 'wildcard host \*\.shop\.example' "wildcard host choice"
expect_line "$out" '/cart Exact .*: wins' "exact winner"
expect_line "$out" '/ Prefix .*: loses: shorter match' "prefix loser"
expect_line "$out" '^pods: +10\.1\.2\.1:3001$' "endpoints"

timeout 10 "$gatehouse" explain -m examples/foobar.yaml --host baz.org --path /a >/dev/null 2>&1
status=$?
[ $status -eq 1 ] || fail "explain of an unmatched request exited $status, want 1"

out=$(timeout 10 "$gatehouse" explain -m examples/default-backend.yaml --host docs.example --path /nope 2>/dev/null)
expect_line "$out" 'its default backend docs-404:80' "host default backend"

# validate: warnings only → 0; rejected objects → 1, each named, the rest still served.
timeout 10 "$gatehouse" validate -m examples/foobar.yaml >/dev/null
status=$?
[ $status -eq 0 ] || fail "validate of foobar exited $status"
out=$(timeout 10 "$gatehouse" validate -m tests/e2e/data/mixed.yaml)
status=$?
[ $status -eq 1 ] || fail "validate of a bad manifest exited $status, want 1"
expect_line "$out" '^tests/e2e/data/mixed\.yaml#1: error: Ingress team/ip-host: spec\.rules\[0\]\.host: ' "IP host rejection"
expect_line "$out" '^tests/e2e/data/mixed\.yaml#2: error: Ingress team/bad-path: spec\.rules\[0\]\.http\.paths\[0\]\.path: ' "bad path rejection"
out=$(timeout 10 "$gatehouse" routes -m tests/e2e/data/mixed.yaml 2>/dev/null)
expect_line "$out" '^r1 +\| good\.example +\| /ok ' "good Ingress still routed"
[ "$(grep -c '^r[0-9]' <<<"$out")" -eq 1 ] || fail "rejected Ingresses were routed"

# A directory: every manifest in it, sorted; a missing path is an error, not a crash.
out=$(timeout 10 "$gatehouse" routes -m examples 2>/dev/null)
expect_line "$out" 'app\.example +\| / +\| app:http +\| Prefix +\| apps/app +\| 10\.3\.0\.1:8080, 10\.3\.0\.2:8090$' "named ports"
timeout 10 "$gatehouse" validate -m /nonexistent/gatehouse >/dev/null 2>&1
status=$?
[ $status -eq 1 ] || fail "validate of a missing path exited $status, want 1"

# Another controller's annotations: an Ingress protected by one gatehouse does not implement is
# refused (validate exits 1 and names each annotation), never routed open; a harmless one is a
# warning; --unsupported-annotations=warn serves the protected one with a warning saying so.
data=tests/e2e/data/nginx-annotations.yaml
out=$(timeout 10 "$gatehouse" validate -m $data)
status=$?
[ $status -eq 1 ] || fail "validate of an Ingress with auth-url exited $status, want 1"
expect_line "$out" 'error: Ingress shop/protected: metadata\.annotations\[nginx\.ingress\.kubernetes\.io/auth-url\]: .*not served' "auth-url refuses"
expect_line "$out" 'error: Ingress shop/protected: metadata\.annotations\[nginx\.ingress\.kubernetes\.io/whitelist-source-range\]: ' "allow-list refuses"
expect_line "$out" 'warning: Ingress shop/protected: metadata\.annotations\[nginx\.ingress\.kubernetes\.io/rewrite-target\]: not implemented by gatehouse: ignored' "rewrite-target named"
expect_line "$out" 'warning: Ingress shop/storefront: metadata\.annotations\[nginx\.ingress\.kubernetes\.io/proxy-body-size\]: ' "proxy-body-size named"
expect_line "$out" 'warning: HTTPRoute shop/later: not read' "HTTPRoute not read"
out=$(timeout 10 "$gatehouse" routes -m $data 2>/dev/null)
grep -q 'admin\.shop\.example' <<<"$out" && fail "the protected Ingress was routed: $out"
expect_line "$out" 'www\.shop\.example' "the storefront is routed"
out=$(timeout 10 "$gatehouse" validate -m $data --unsupported-annotations warn)
status=$?
[ $status -eq 0 ] || fail "validate --unsupported-annotations warn exited $status, want 0"
expect_line "$out" 'warning: Ingress shop/protected: .*auth-url\]: not implemented by gatehouse: served WITHOUT authentication' "warn says what is missing"
out=$(timeout 10 "$gatehouse" routes -m $data --unsupported-annotations warn 2>/dev/null)
expect_line "$out" 'admin\.shop\.example' "warn: the protected Ingress is routed"
err=$(timeout 10 "$gatehouse" validate -m $data --unsupported-annotations ignore 2>&1)
expect_line "$err" 'expected refuse or warn' "a bad policy is refused, naming the choices"

# Found by trying it as a new user (the data-plane issue): no arguments print the help; --version
# answers; boolean options show true|false and their default, not "BOOLEAN=1"; routes fails when
# every object was rejected; serve refuses a --manifests path that does not exist.
out=$(timeout 10 "$gatehouse" 2>&1)
status=$?
[ $status -eq 2 ] || fail "gatehouse with no arguments exited $status, want 2"
expect_line "$out" 'Subcommands:' "no arguments: the help lists the subcommands"
expect_line "$out" '^ +serve ' "no arguments: serve is listed"
out=$(timeout 10 "$gatehouse" --version 2>&1)
status=$?
[ $status -eq 0 ] || fail "--version exited $status"
expect_line "$out" '^gatehouse [0-9]+\.[0-9]+\.[0-9]+' "--version names the version"
out=$(timeout 10 "$gatehouse" serve --help 2>&1)
grep -q 'BOOLEAN' <<<"$out" && fail "serve --help shows BOOLEAN: $(grep BOOLEAN <<<"$out")"
expect_line "$out" '--ssl-redirect true\|false' "--ssl-redirect shown as true|false"
expect_line "$out" '--merge-slashes true\|false' "--merge-slashes shown as true|false"
grep -q 'no-ssl-redirect{' <<<"$out" && fail "serve --help shows the negated flag's internals"
expect_line "$out" '--watch-ingress-without-class true\|false' "shared boolean shown as true|false"
timeout 10 "$gatehouse" routes -m tests/e2e/data/mixed.yaml >/dev/null 2>&1
[ $? -eq 0 ] || fail "routes of a manifest with one good Ingress failed"
printf 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules:\n  - host: 10.0.0.1\n' >/tmp/gatehouse-cli-$$.yaml
err=$(timeout 10 "$gatehouse" routes -m /tmp/gatehouse-cli-$$.yaml 2>&1 >/dev/null)
status=$?
rm -f /tmp/gatehouse-cli-$$.yaml
[ $status -eq 1 ] || fail "routes with every object rejected exited $status, want 1"
expect_line "$err" '^no rules: 1 error above' "routes says why the table is empty"
err=$(timeout 10 "$gatehouse" serve -m /nonexistent/gatehouse -l 127.0.0.1:0 2>&1)
status=$?
[ $status -eq 2 ] || fail "serve on a missing --manifests path exited $status, want 2"
expect_line "$err" '--manifests /nonexistent/gatehouse: no such file or directory' "missing path named"

# serve refuses a settle time it cannot use, naming the flag, before listening anywhere.
err=$(timeout 10 "$gatehouse" serve -m examples/foobar.yaml -l 127.0.0.1:0 --settle-ms -1 2>&1)
status=$?
[ $status -ne 0 ] || fail "serve --settle-ms -1 exited 0"
expect_line "$err" '--settle-ms: Value -1 not in range 0 to 60000' "settle range message"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "cli: all checks passed"
