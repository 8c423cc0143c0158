#!/usr/bin/env python3
"""A fake Kubernetes API server for gatehouse's tests: standard library only, in memory.

It speaks the real server's JSON wire format for the few resources an ingress controller uses
(Ingress, IngressClass, Service, Secret, Event, Namespace, EndpointSlice, Lease): get, list with
pagination and selectors, watch with resourceVersion, bookmarks and 410 Expired, create, update
with optimistic concurrency, merge patch, delete, and enough discovery and OpenAPI for kubectl.

usage: fake_apiserver.py --port PORT --cert CERT.pem --key KEY.pem
                         [--token TOKEN | --token-file FILE] [--bookmark-interval SECONDS]
                         [--history-size N] [--quiet]
HTTPS on 127.0.0.1 only; prints "fake-apiserver: listening on 127.0.0.1:PORT" when ready (--port 0
picks a free port); one log line per request on stderr unless --quiet; exits 0 on SIGTERM.

Test hooks, HTTPS on the same port, no token needed (they are not counted in the stats):
  POST /fake/drop-watches   breaks every open watch connection (no terminating chunk)
  POST /fake/compact        forgets the event history and `continue` snapshots: a watch from
                            any resourceVersion seen so far gets a 410 Expired ERROR event
  POST /fake/fail?status=429&count=N[&retry-after=S][&match=SUBSTRING]
                            the next N API requests (whose path?query contains SUBSTRING) fail
  POST /fake/objects        a JSON object, List or array: created or replaced, status included
  GET  /fake/stats          requests by verb and resource, statuses, the last 200 requests
                            (time, method, path, status), open watches, resourceVersions
"""

import argparse
import base64
import bisect
import collections
import copy
import datetime
import itertools
import json
import random
import select
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVER_VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fake",
                  "gitCommit": "0000000000000000000000000000000000000000",
                  "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z",
                  "goVersion": "go1.23.4", "compiler": "gc", "platform": "linux/amd64"}


# --- Resource types ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple = ()
    status_subresource: bool = False  # .status is written only through {name}/status
    create_on_update: bool = False  # PUT of an absent object creates it (as for real leases)
    field_labels: tuple = ()  # fieldSelector labels besides metadata.name and metadata.namespace

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self):  # as in the real server's messages: "leases.coordination.k8s.io"
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS = [
    Kind("", "v1", "services", "Service", True, ("svc",), status_subresource=True,
         field_labels=("spec.clusterIP", "spec.type")),
    Kind("", "v1", "secrets", "Secret", True, field_labels=("type",)),
    Kind("", "v1", "events", "Event", True, ("ev",), create_on_update=True,
         field_labels=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                       "involvedObject.uid", "involvedObject.apiVersion", "reason", "type",
                       "reportingComponent", "source")),
    Kind("", "v1", "namespaces", "Namespace", False, ("ns",), status_subresource=True,
         field_labels=("status.phase",)),
    Kind("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",),
         status_subresource=True),
    Kind("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    Kind("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True,
         field_labels=("addressType",)),
    Kind("coordination.k8s.io", "v1", "leases", "Lease", True, create_on_update=True),
]
GROUP_VERSIONS = sorted({k.api_version for k in KINDS}, key=lambda gv: (gv != "v1", gv))
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def find_kind(api_version, plural=None, kind=None):
    for k in KINDS:
        if k.api_version == api_version and (k.plural == plural or k.kind == kind):
            return k
    return None


# --- Errors as Status objects --------------------------------------------------------------------

class ApiError(Exception):
    """Answered as the real server's Status object (kind Status, status Failure)."""

    def __init__(self, code, reason, message, details=None, headers=()):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.headers = details, list(headers)

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason}
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(kind, name):
    details = {"name": name}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.plural
    return details


def not_found(kind, name):
    return ApiError(404, "NotFound", f'{kind.qualified} "{name}" not found', _details(kind, name))


def conflict(kind, name, why="the object has been modified; please apply your changes to the "
                            "latest version and try again"):
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.qualified} "{name}":'
                    f" {why}", _details(kind, name))


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def expired(message):
    return ApiError(410, "Expired", message)


def no_resource():
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def not_allowed():
    return ApiError(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource")


REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 409: "Conflict", 410: "Expired", 422: "Invalid",
           429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
           504: "Timeout"}
EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list.")


# --- Selectors -----------------------------------------------------------------------------------

def _split_outside_parens(text):
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(text):
    """A predicate on a labels dict: `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a,b)`,
    `key notin (a,b)`, comma-separated (all must hold)."""
    tests = []
    for term in _split_outside_parens(text or ""):
        words = term.replace("(", " ( ").split()
        if len(words) >= 2 and words[1] in ("in", "notin"):
            values = {v.strip() for v in term.split("(", 1)[1].rstrip(")").split(",")}
            key, negate = words[0], words[1] == "notin"
            tests.append(lambda l, k=key, vs=values, n=negate: (l.get(k) in vs) != n
                         if k in l else n)
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            tests.append(lambda l, k=key, v=value: l.get(k) != v)
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            tests.append(lambda l, k=key, v=value: l.get(k) == v)
        elif term.startswith("!"):
            tests.append(lambda l, k=term[1:].strip(): k not in l)
        elif " " not in term and "(" not in term:
            tests.append(lambda l, k=term: k in l)
        else:
            raise bad_request(f"unable to parse requirement: {term!r}")
    return lambda labels: all(t(labels) for t in tests)


def _field(obj, path):
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return "" if obj is None else str(obj)


def parse_field_selector(text, kind):
    """A predicate on an object: `field=v`, `field==v`, `field!=v`, comma-separated, on the
    fields the real server supports for that kind (others are a 400, as there)."""
    tests = []
    for term in _split_outside_parens(text or ""):
        negate = "!=" in term
        field, _, value = term.replace("!=", "=").replace("==", "=").partition("=")
        field = field.strip()
        if field not in ("metadata.name", "metadata.namespace") + kind.field_labels:
            raise bad_request(f'field label not supported: {field}')
        tests.append(lambda o, f=field, v=value.strip(), n=negate: (_field(o, f) == v) != n)
    return lambda obj: all(t(obj) for t in tests)


class Filter:
    """What a list or watch asks for: a namespace ("" for all) and both selectors."""

    def __init__(self, kind, namespace, params):
        self.namespace = namespace
        self.labels = parse_label_selector(params.get("labelSelector", ""))
        self.fields = parse_field_selector(params.get("fieldSelector", ""), kind)
        self.has_selectors = bool(params.get("labelSelector") or params.get("fieldSelector"))

    def __call__(self, obj):
        meta = obj.get("metadata", {})
        return ((not self.namespace or meta.get("namespace") == self.namespace)
                and self.labels(meta.get("labels") or {}) and self.fields(obj))


# --- The store -----------------------------------------------------------------------------------

Event = collections.namedtuple("Event", "rv kind type obj old")  # old: the previous state


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_meta(obj, **changes):
    """A copy of `obj` with metadata fields changed. Stored objects are never modified in place:
    lists, snapshots and watch events share them and serialize them outside the lock."""
    return {**obj, "metadata": {**obj.get("metadata", {}), **changes}}


def _key(obj):
    meta = obj["metadata"]
    return f'{meta.get("namespace", "")}/{meta["name"]}'


class Watch:
    """An open watch connection, as the store sees it (for /fake/drop-watches and stats)."""

    def __init__(self, connection, target):
        self.connection, self.target, self.since = connection, target, time.time()
        self.pos = 0  # every event up to this resourceVersion has been taken
        self.dropped = False


class Store:
    """All objects, the global resourceVersion and the recent event history, under one lock.
    Watches wait on the condition variable for new events."""

    def __init__(self, history_size):
        self.cond = threading.Condition()
        self.rv = 1
        self.oldest = 1  # a watch may resume from any resourceVersion >= this
        self.objects = {k: {} for k in KINDS}  # kind -> {"namespace/name": object}
        self.history = collections.deque()
        self.history_size = history_size
        self.snapshots = collections.OrderedDict()  # (kind, rv) -> sorted objects, for `continue`
        self.watches = set()
        self.next_ip = 1

    # Everything below expects self.cond held.

    def commit(self, kind, type_, obj, old=None):
        """Stores (or removes, for DELETED) an object under the next resourceVersion and records
        the event. Returns the object as stored."""
        self.rv += 1
        obj = _with_meta(obj, resourceVersion=str(self.rv))
        if type_ == "DELETED":
            del self.objects[kind][_key(obj)]
        else:
            self.objects[kind][_key(obj)] = obj
        if len(self.history) >= self.history_size:
            self.oldest = self.history.popleft().rv
        self.history.append(Event(self.rv, kind, type_, obj, old))
        self.cond.notify_all()
        return obj

    def compact(self):
        """Forgets every event, as an etcd compaction would: a watch or a `continue` from any
        resourceVersion a client has seen gets 410 Expired. The resourceVersion moves on by one
        (a write nobody watches, as on a real cluster) so that even the newest one is too old;
        watches already caught up are moved past it and carry on."""
        self.history.clear()
        self.snapshots.clear()
        for w in self.watches:
            if w.pos == self.rv:
                w.pos = self.rv + 1
        self.rv += 1
        self.oldest = self.rv
        self.cond.notify_all()

    def sorted_objects(self, kind):
        objects = self.objects[kind]
        return [objects[k] for k in sorted(objects)]

    def events_after(self, rv):
        events = []
        for e in reversed(self.history):
            if e.rv <= rv:
                break
            events.append(e)
        return events[::-1]

    def allocate_cluster_ip(self):
        n, self.next_ip = self.next_ip, self.next_ip + 1
        return f"10.96.{n // 250}.{n % 250 + 1}"


# --- What the real server's registries do on create and update -----------------------------------

EMPTY_STATUS = {"services": {"loadBalancer": {}}, "ingresses": {"loadBalancer": {}},
                "namespaces": {"phase": "Active"}}


def default_object(kind, obj, store, old=None):
    """The defaults and normalisations the real server applies that clients may rely on."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else None
    if kind.plural == "services" and spec is not None:
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if old is not None and "clusterIP" not in spec:  # immutable, kept when left out
            for f in ("clusterIP", "clusterIPs"):
                if f in old.get("spec", {}):
                    spec[f] = old["spec"][f]
        if spec["type"] != "ExternalName" and "clusterIP" not in spec:
            spec["clusterIP"] = store.allocate_cluster_ip()
            spec["clusterIPs"] = [spec["clusterIP"]]
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    elif kind.plural == "secrets":
        obj.setdefault("type", "Opaque")
        for k, v in (obj.pop("stringData", None) or {}).items():  # write-only, stored in data
            obj.setdefault("data", {})[k] = base64.b64encode(str(v).encode()).decode()
    elif kind.plural == "namespaces":
        meta = obj["metadata"]
        meta["labels"] = {**(meta.get("labels") or {}),
                          "kubernetes.io/metadata.name": meta["name"]}
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
    return obj


def _spec_changed(a, b):
    ignore = ("metadata", "status")
    return {k: v for k, v in a.items() if k not in ignore} != \
        {k: v for k, v in b.items() if k not in ignore}


# --- Patches -------------------------------------------------------------------------------------

def merge_patch(target, patch, strategic=False):
    """RFC 7386 JSON merge patch. A strategic merge patch is read as a merge patch without its
    $-directives (list items marked "$patch": "delete" are left out): lists are replaced whole
    rather than merged by key, good enough for tests. kubectl label, annotate and patch work;
    a client-side kubectl apply that changes one item of a list keeps only the items it sent."""
    if strategic and isinstance(patch, list):
        return [merge_patch(None, item, True) for item in patch
                if not (isinstance(item, dict) and item.get("$patch") == "delete")]
    if not isinstance(patch, dict):
        return patch
    if strategic and patch.get("$patch") == "replace":
        target = None
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if strategic and key.startswith("$"):
            continue
        if value is None or (strategic and isinstance(value, dict)
                             and value.get("$patch") == "delete"):
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, strategic)
    return result


PATCH_TYPES = {"application/merge-patch+json": False,
               "application/strategic-merge-patch+json": True}  # value: strategic


# --- HTTP ----------------------------------------------------------------------------------------

class Request:
    """What the router worked out about a request to a resource."""

    def __init__(self, kind, namespace="", name="", subresource=""):
        self.kind, self.namespace, self.name, self.subresource = kind, namespace, name, subresource


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked watch streams
    server_version = "fake-apiserver"
    # A request that does not even parse reaches send_response() with none of these set.
    command = path = verb = resource = ""
    headers_sent = False

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        # The TLS handshake runs here, in the connection's own thread, so a client that stalls in
        # it cannot hold up the accept loop.
        self.connection.settimeout(10)
        self.connection.do_handshake()
        self.connection.settimeout(None)

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write(f"fake-apiserver: {self.command} {self.path} {fmt % args}\n")

    def log_request(self, code="-", size="-"):
        self.log_message("%s", code)

    def send_response(self, code, message=None):
        if not self.path.startswith("/fake/"):
            self.server.stats.record(self.command, self.path, code, self.verb, self.resource)
        self.headers_sent = True
        super().send_response(code, message)

    # --- plumbing

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def json_body(self):
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        json_type = content_type in ("", "application/json") or content_type.endswith("+json")
        if not json_type and not self.path.startswith("/fake/"):  # curl -d is fine for hooks
            # Protobuf (kubectl's typed clients: create namespace, create secret...) or CBOR.
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media "
                           "types include: application/json")
        try:
            body = json.loads(self.body or b"null")
        except ValueError as e:
            raise bad_request(f"error decoding request body as JSON: {e}") from None
        if not isinstance(body, (dict, list)):
            raise bad_request("the request body must be a JSON object")
        return body

    def send_json(self, code, body, headers=()):
        self.send_bytes(code, json.dumps(body, separators=(",", ":")).encode(), headers)

    def send_bytes(self, code, body, headers=()):
        data = body + b"\n"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_text(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def dispatch(self):
        url = urlsplit(self.path)
        self.params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self.verb, self.resource = self.command.lower(), url.path
        self.headers_sent = False
        try:
            self.body = self.read_body()
            if url.path.startswith("/fake/"):
                return self.serve_hook(url.path)
            if url.path in ("/healthz", "/livez", "/readyz"):
                return self.send_text(200, "ok")
            # Classified first, so that /fake/stats names the verb and resource of every
            # request, even of one refused below.
            request = self.classify(url.path)
            self.server.injected_failure(url.path + "?" + url.query)
            self.authenticate()
            if isinstance(request, ApiError):
                raise request
            if request is None:
                return self.serve_non_resource(url.path)
            self.serve_resource(request)
        except ApiError as e:
            self.send_json(e.code, e.status(), e.headers)
        except (ConnectionError, ssl.SSLError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # a bug here: say so, as the real server's 500 would
            traceback.print_exc()
            self.close_connection = True
            if not self.headers_sent:
                self.send_json(500, ApiError(500, "InternalError", f"fake-apiserver: {e!r}")
                               .status())

    def authenticate(self):
        # A client certificate the TLS handshake verified against --client-ca authenticates
        # the request, as the real server's x509 authenticator does.
        if self.server.client_ca and self.connection.getpeercert():
            return
        token = self.server.current_token()
        if token is None:
            return
        sent = self.headers.get("Authorization", "")
        if not token or sent != f"Bearer {token}":
            raise ApiError(401, "Unauthorized", "Unauthorized")

    # --- routing

    def classify(self, path):
        """What the real server's RequestInfo works out: the resource a path names and the verb
        (set on self). Returns a Request; None for a path that names no resource (discovery,
        OpenAPI); or the ApiError to answer once the client is authenticated."""
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group_version, rest = "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            return None
        if group_version not in GROUP_VERSIONS or not rest:
            return None
        if rest[0] == "watch":  # the deprecated /watch/ path prefix
            self.params["watch"], rest = "true", rest[1:]
        try:
            r = self.parse_resource_path(group_version, rest)
        except ApiError as e:
            return e
        self.resource = r.kind.plural + (f"/{r.subresource}" if r.subresource else "")
        watch = self.params.get("watch") in ("true", "1") and self.command == "GET"
        if watch and not r.subresource:
            self.verb = "watch"
        elif not r.name:
            self.verb = {"GET": "list", "POST": "create",
                         "DELETE": "deletecollection"}.get(self.command, self.verb)
        else:
            self.verb = {"GET": "get", "PUT": "update", "PATCH": "patch",
                         "DELETE": "delete"}.get(self.command, self.verb)
        return r

    def parse_resource_path(self, group_version, rest):
        namespace = ""
        # /namespaces/{ns}/{plural}/...; but /namespaces/{name}/status is the namespace's own.
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        kind = find_kind(group_version, plural=rest[0])
        if kind is None or len(rest) > 3 or (namespace and not kind.namespaced):
            raise no_resource()
        request = Request(kind, namespace, *rest[1:])
        if request.subresource and not (request.subresource == "status"
                                        and kind.status_subresource):
            raise no_resource()
        if request.name and kind.namespaced and not namespace:
            raise no_resource()
        return request

    def serve_non_resource(self, path):
        parts = [p for p in path.split("/") if p]
        if path == "/version":
            return self.send_json(200, SERVER_VERSION)
        if path == "/api":
            host, port = self.server.server_address[:2]
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [
                                            {"clientCIDR": "0.0.0.0/0",
                                             "serverAddress": f"{host}:{port}"}]})
        if path == "/apis":
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                api_group(gv) for gv in GROUP_VERSIONS if "/" in gv]})
        if parts[:1] == ["apis"] and len(parts) == 2 and f"{parts[1]}/v1" in GROUP_VERSIONS:
            return self.send_json(200, {"kind": "APIGroup", "apiVersion": "v1",
                                        **api_group(f"{parts[1]}/v1")})
        group_version = "/".join(parts[1:]) if parts[:1] in (["api"], ["apis"]) else ""
        if group_version in GROUP_VERSIONS:
            return self.send_json(200, api_resource_list(group_version))
        if parts[:1] == ["openapi"]:
            return self.serve_openapi(parts[1:])
        raise no_resource()

    def serve_resource(self, r):
        verb = self.verb
        if verb == "watch":
            params = self.params
            if r.name:  # a watch of one object, the deprecated way
                params = {**params, "fieldSelector": f"metadata.name={r.name}"}
            return self.serve_watch(r.kind, r.namespace, params)
        if verb == "list":
            return self.send_bytes(200, self.serve_list(r.kind, r.namespace))
        if verb == "create" and (r.namespace or not r.kind.namespaced):
            return self.send_json(201, self.create(r.kind, r.namespace, self.json_body()))
        if verb == "get":
            return self.send_json(200, self.get(r))
        if verb == "update":
            code, obj = self.update(r, self.json_body())
            return self.send_json(code, obj)
        if verb == "patch":
            return self.send_json(200, self.patch(r))
        if verb == "delete" and not r.subresource:
            return self.send_json(200, self.delete(r))
        raise not_allowed()

    # --- verbs

    def get(self, r):
        with self.server.store.cond:
            obj = self.server.store.objects[r.kind].get(f"{r.namespace}/{r.name}")
        if obj is None:
            raise not_found(r.kind, r.name)
        return obj

    def serve_list(self, kind, namespace):
        store, params = self.server.store, self.params
        match = Filter(kind, namespace, params)
        try:
            limit = int(params.get("limit") or 0)
        except ValueError:
            raise bad_request(f"invalid limit: {params['limit']!r}") from None
        start_after = ""
        with store.cond:
            if params.get("continue"):
                try:
                    token = json.loads(base64.urlsafe_b64decode(params["continue"] + "=="))
                    rv, start_after = int(token["rv"]), str(token["start"])
                except (ValueError, KeyError, TypeError):
                    raise bad_request("continue key is not valid: incorrect encoded start "
                                      "resourceVersion (version meta.k8s.io/v1)") from None
                objects = store.snapshots.get((kind, rv))
                if objects is None:  # evicted, or forgotten by /fake/compact
                    raise expired(EXPIRED_CONTINUE)
            else:
                rv, objects = store.rv, store.sorted_objects(kind)
            # `objects` is sorted by key: a page starts by bisection and stops at `limit`, so a
            # paginated list of N objects costs O(N), not O(N * pages).
            start = bisect.bisect_right(objects, start_after, key=_key) if start_after else 0
            page, more = [], False
            for o in itertools.islice(objects, start, None):
                if match(o):
                    if limit > 0 and len(page) == limit:
                        more = True
                        break
                    page.append(o)
            metadata = {"resourceVersion": str(rv)}
            if more:
                # The next pages come from this same snapshot: a consistent list, as from etcd.
                store.snapshots[(kind, rv)] = objects
                store.snapshots.move_to_end((kind, rv))
                while len(store.snapshots) > 100:
                    store.snapshots.popitem(last=False)
                token = {"v": "meta.k8s.io/v1", "rv": rv, "start": _key(page[-1])}
                metadata["continue"] = base64.urlsafe_b64encode(
                    json.dumps(token, separators=(",", ":")).encode()).decode().rstrip("=")
                if not match.has_selectors and not namespace:
                    metadata["remainingItemCount"] = len(objects) - start - len(page)
        # Items in a list carry no kind or apiVersion, as from the real server. Each item's JSON
        # is kept by resourceVersion: serializing 10,000 objects again for every list would
        # make the benchmarks (bench/kube_sync) measure Python rather than the client.
        head = json.dumps({"kind": kind.kind + "List", "apiVersion": kind.api_version,
                           "metadata": metadata}, separators=(",", ":"))
        items = b",".join(self.item_json(kind, o) for o in page)
        return head[:-1].encode() + b',"items":[' + items + b"]}"

    def item_json(self, kind, obj):
        key = (kind.kind, _key(obj))
        version = obj["metadata"].get("resourceVersion")
        cache = self.server.item_cache
        hit = cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        data = json.dumps({k: v for k, v in obj.items() if k not in ("kind", "apiVersion")},
                          separators=(",", ":")).encode()
        cache[key] = (version, data)
        return data

    def check_body(self, kind, obj, namespace):
        """The kind, apiVersion and namespace of a body must agree with the path."""
        if not isinstance(obj, dict):
            raise bad_request("the request body must be a JSON object")
        # Ours from here on: a patched object still shares parts with the stored one.
        obj = copy.deepcopy(obj)
        if obj.get("apiVersion", kind.api_version) != kind.api_version:
            raise bad_request(f"the API version in the data ({obj['apiVersion']}) does not match "
                              f"the expected API version ({kind.api_version})")
        if obj.get("kind", kind.kind) != kind.kind:
            raise bad_request(f"the kind in the data ({obj['kind']}) does not match the expected "
                              f"kind ({kind.kind})")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict) or not isinstance(meta.get("labels") or {}, dict):
            raise bad_request("metadata must be an object, and its labels too")
        if kind.namespaced:
            if (meta.get("namespace") or namespace) != namespace:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        obj.pop("kind", None)
        obj.pop("apiVersion", None)
        return {"kind": kind.kind, "apiVersion": kind.api_version, **obj}  # first, as served

    def create(self, kind, namespace, obj, keep_status=False):
        obj = self.check_body(kind, obj, namespace)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            suffix = "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=5))
            meta["name"] = meta["generateName"] + suffix
        if not meta.get("name"):
            raise ApiError(422, "Invalid", f'{kind.kind} "" is invalid: metadata.name: Required '
                           "value: name or generateName is required",
                           {"kind": kind.kind})
        for field in ("resourceVersion", "deletionTimestamp"):
            meta.pop(field, None)
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), generation=1)
        if kind.plural in EMPTY_STATUS and not keep_status:  # written through /status only
            obj["status"] = copy.deepcopy(EMPTY_STATUS[kind.plural])
        store = self.server.store
        with store.cond:
            if _key(obj) in store.objects[kind]:
                raise ApiError(409, "AlreadyExists",
                               f'{kind.qualified} "{meta["name"]}" already exists',
                               _details(kind, meta["name"]))
            return store.commit(kind, "ADDED", default_object(kind, obj, store))

    def update(self, r, obj, preserve_status=True):
        """PUT: replaces the object (or only its .status through the status subresource).
        Returns (code, object); 201 when a PUT created it."""
        obj = self.check_body(r.kind, obj, r.namespace)
        meta = obj["metadata"]
        if meta.get("name", r.name) != r.name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name "
                              f"on the URL ({r.name})")
        meta["name"] = r.name
        store = self.server.store
        with store.cond:
            old = store.objects[r.kind].get(_key(obj))
            if old is None:
                if r.kind.create_on_update and not r.subresource:
                    return 201, self.create(r.kind, r.namespace, obj)
                raise not_found(r.kind, r.name)
            sent_rv = meta.get("resourceVersion")
            if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
                raise conflict(r.kind, r.name)
            if r.subresource == "status":
                new = {**old, "status": obj.get("status")}
                if new["status"] is None:
                    del new["status"]
                # As the real server (Ingress's status strategy keeps only the stored spec): the
                # metadata is the body's, system fields aside, so a PUT of a bare status wipes
                # labels, annotations and finalizers. A merge PATCH keeps them.
                system = ("name", "namespace", "uid", "creationTimestamp", "generation",
                          "resourceVersion", "deletionTimestamp")
                new["metadata"] = {**(obj.get("metadata") or {}),
                                   **{k: old["metadata"][k] for k in system
                                      if k in old["metadata"]}}
            else:
                new = obj
                if r.kind.status_subresource and preserve_status:
                    new.pop("status", None)
                    if "status" in old:
                        new["status"] = old["status"]
                # uid and creationTimestamp are the server's, whatever the client sent.
                meta.update(uid=old["metadata"]["uid"],
                            creationTimestamp=old["metadata"]["creationTimestamp"],
                            generation=old["metadata"].get("generation", 1))
                default_object(r.kind, new, store, old)
                if _spec_changed(old, new):
                    meta["generation"] += 1
            new = _with_meta(new, resourceVersion=old["metadata"]["resourceVersion"])
            if new == old:  # a no-op update writes nothing and keeps the resourceVersion
                return 200, old
            return 200, store.commit(r.kind, "MODIFIED", new, old)

    def patch(self, r):
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type not in PATCH_TYPES:
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media "
                           "types include: application/merge-patch+json, "
                           "application/strategic-merge-patch+json")
        patch = self.json_body()
        store = self.server.store
        with store.cond:  # held across the update, so nothing else writes in between
            old = self.get(r)
            # A resourceVersion in the patch makes it conditional, through update()'s check.
            new = merge_patch(old, patch, strategic=PATCH_TYPES[content_type])
            return self.update(r, new)[1]

    def delete(self, r):
        try:  # DeleteOptions: only the preconditions matter here
            options = json.loads(self.body) if self.body.strip() else {}
        except ValueError:
            options = {}  # protobuf from a typed client: no preconditions, then
        preconditions = options.get("preconditions") or {} if isinstance(options, dict) else {}
        store = self.server.store
        with store.cond:
            old = self.get(r)
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                want, have = preconditions.get(field), old["metadata"].get(field)
                if want and want != have:
                    raise conflict(r.kind, r.name, f"Precondition failed: {label} in "
                                   f"precondition: {want}, {label} in object meta: {have}")
            # The DELETED event carries the last state under a new resourceVersion.
            store.commit(r.kind, "DELETED", old, old)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {**_details(r.kind, r.name), "uid": old["metadata"]["uid"]}}

    # --- watch

    def serve_watch(self, kind, namespace, params):
        """A chunked stream of {"type": ..., "object": ...} lines until timeoutSeconds, a
        /fake/drop-watches, or the client goes away."""
        store = self.server.store
        match = Filter(kind, namespace, params)
        rv_param = params.get("resourceVersion", "")
        send_initial = params.get("sendInitialEvents", str(rv_param in ("", "0")).lower())
        send_initial = send_initial == "true"
        bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        try:
            timeout = float(params.get("timeoutSeconds") or 0)
            start_rv = int(rv_param) if rv_param else 0
        except ValueError:
            raise bad_request("invalid timeoutSeconds or resourceVersion") from None
        deadline = time.monotonic() + timeout if timeout > 0 else float("inf")
        watch = Watch(self.connection, self.path)
        too_old, initial = None, []
        with store.cond:
            if send_initial:
                initial = [o for o in store.sorted_objects(kind) if match(o)]
                watch.pos = store.rv
            elif rv_param in ("", "0"):  # sendInitialEvents=false: from now on
                watch.pos = store.rv
            elif start_rv < store.oldest:
                too_old = f"too old resource version: {start_rv} ({store.oldest})"
            else:
                watch.pos = start_rv
            store.watches.add(watch)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-cache, private")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if too_old:
                return self.end_watch(self.expired_event(too_old))
            for obj in initial:
                self.send_event("ADDED", obj)
            if bookmarks and params.get("sendInitialEvents") == "true":
                self.send_event("BOOKMARK", self.bookmark(kind, watch.pos, initial_end=True))
            self.follow(kind, match, watch, bookmarks, deadline)
        except (ConnectionError, ssl.SSLError, OSError, ValueError):
            self.close_connection = True  # the client went away, or we dropped it
        finally:
            with store.cond:
                store.watches.discard(watch)

    def follow(self, kind, match, watch, bookmarks, deadline):
        store = self.server.store
        interval = self.server.bookmark_interval
        next_bookmark = time.monotonic() + interval
        while True:
            with store.cond:
                if not (watch.dropped or store.rv > watch.pos):
                    now = time.monotonic()
                    wake = min(deadline, next_bookmark if bookmarks else deadline, now + 0.5)
                    store.cond.wait(max(0.0, wake - now))
                dropped, lagged, oldest = watch.dropped, watch.pos < store.oldest, store.oldest
                events = [] if lagged else store.events_after(watch.pos)
                if not lagged:  # (a watch from a future resourceVersion keeps it)
                    watch.pos = max(watch.pos, store.rv)
            if dropped:
                # No terminating chunk: the connection just breaks, as when a server dies.
                self.close_connection = True
                return
            if lagged:  # the history moved past this watch before it caught up
                return self.end_watch(self.expired_event(
                    f"too old resource version: {watch.pos} ({oldest})"))
            sent = False
            for e in events:
                event = self.filtered(kind, match, e)
                if event:
                    self.send_event(*event)
                    sent = True
            now = time.monotonic()
            if bookmarks and now >= next_bookmark:
                self.send_event("BOOKMARK", self.bookmark(kind, watch.pos))
                next_bookmark, sent = now + interval, True
            if now >= deadline:
                return self.end_watch()
            if not sent and self.client_gone():
                self.close_connection = True
                return

    @staticmethod
    def filtered(kind, match, e):
        """The event as this watch sees it: with a selector, an object that starts matching is
        ADDED and one that stops matching is DELETED, as on the real server."""
        if e.kind is not kind:
            return None
        now = match(e.obj)
        if e.type == "MODIFIED":
            before = match(e.old)
            if now != before:
                return ("ADDED" if now else "DELETED"), e.obj
        return (e.type, e.obj) if now else None

    @staticmethod
    def bookmark(kind, rv, initial_end=False):
        meta = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {"kind": kind.kind, "apiVersion": kind.api_version, "metadata": meta}

    @staticmethod
    def expired_event(message):
        return "ERROR", expired(message).status()

    def send_event(self, type_, obj):
        line = json.dumps({"type": type_, "object": obj}, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))

    def end_watch(self, event=None):
        if event:
            self.send_event(*event)
        self.wfile.write(b"0\r\n\r\n")

    def client_gone(self):
        """Whether the client closed its end: a watch with nothing to send would otherwise not
        notice until its next write."""
        sock = self.connection
        if not select.select([sock], [], [], 0)[0]:
            return False
        try:
            sock.settimeout(0)
            return sock.recv(1) == b""  # TLS close_notify or EOF
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True
        finally:
            sock.settimeout(None)

    # --- OpenAPI

    def serve_openapi(self, parts):
        """Just enough OpenAPI v3 for kubectl to see that the server validates fields itself
        (the PATCH operation of each kind lists the fieldValidation parameter); without it, its
        default --validate=strict fails with "failed to download openapi". No schemas: kubectl
        explain has nothing to show. /openapi/v2 is a 404."""
        if parts == ["v3"]:
            return self.send_json(200, {"paths": {
                ("api/" if gv == "v1" else "apis/") + gv:
                    {"serverRelativeURL": f"/openapi/v3/{'api' if gv == 'v1' else 'apis'}/{gv}"
                                          "?hash=FAKE"}
                for gv in GROUP_VERSIONS}})
        group_version = "/".join(parts[2:])
        if parts[:1] != ["v3"] or group_version not in GROUP_VERSIONS:
            raise no_resource()
        paths = {}
        for k in KINDS:
            if k.api_version != group_version:
                continue
            prefix = "/api/v1" if k.api_version == "v1" else f"/apis/{k.api_version}"
            scope = "/namespaces/{namespace}" if k.namespaced else ""
            paths[f"{prefix}{scope}/{k.plural}/{{name}}"] = {"patch": {
                "operationId": f"patch{k.kind}",
                "parameters": [{"name": "fieldValidation", "in": "query",
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": k.group, "version": k.version,
                                                    "kind": k.kind}}}
        self.send_json(200, {"openapi": "3.0.0", "info": {"title": "Kubernetes",
                                                          "version": "v1.32.0"},
                             "paths": paths, "components": {"schemas": {}}})

    # --- test hooks

    def serve_hook(self, path):
        server, store = self.server, self.server.store
        if path == "/fake/stats" and self.command == "GET":
            with store.cond:
                watches = [{"path": w.target, "since": w.since} for w in store.watches]
                rv, oldest = store.rv, store.oldest
            return self.send_json(200, {**server.stats.snapshot(), "open_watches": len(watches),
                                        "watches": watches, "resourceVersion": rv,
                                        "oldestResourceVersion": oldest})
        if self.command != "POST":
            raise not_allowed()
        if path == "/fake/drop-watches":
            with store.cond:
                dropped = list(store.watches)
                for w in dropped:
                    w.dropped = True
                store.cond.notify_all()
            for w in dropped:
                # The plain socket's shutdown, not TLS's: no close_notify, no terminating chunk,
                # and it works even when that watch's thread is blocked writing to a slow client.
                try:
                    socket.socket.shutdown(w.connection, socket.SHUT_RDWR)
                except OSError:
                    pass
            return self.send_json(200, {"dropped": len(dropped)})
        if path == "/fake/compact":
            with store.cond:
                store.compact()
                rv = store.rv
            return self.send_json(200, {"resourceVersion": rv, "oldestResourceVersion": rv})
        if path == "/fake/fail":
            try:
                status = int(self.params.get("status", "500"))
                count = int(self.params.get("count", "1"))
                retry_after = self.params.get("retry-after")
                retry_after = int(retry_after) if retry_after else None
            except ValueError:
                raise bad_request("status, count and retry-after are integers") from None
            server.fail_next(status, count, retry_after, self.params.get("match", ""))
            return self.send_json(200, {"status": status, "count": count})
        if path == "/fake/objects":
            body = self.json_body()
            if isinstance(body, list):
                items = body
            elif str(body.get("kind", "")).endswith("List"):
                items = body.get("items") or []
            else:
                items = [body]
            return self.send_json(200, {"kind": "List", "apiVersion": "v1",
                                        "items": [self.put_object(o) for o in items]})
        raise no_resource()

    def put_object(self, obj):
        """Creates or replaces one object, status included, as /fake/objects does."""
        if not isinstance(obj, dict):
            raise bad_request("an item is not an object")
        kind = find_kind(obj.get("apiVersion"), kind=obj.get("kind"))
        if kind is None:
            raise bad_request(f"no such kind here: {obj.get('apiVersion')} {obj.get('kind')}")
        namespace = obj.get("metadata", {}).get("namespace") or "default"
        name = obj.get("metadata", {}).get("name", "")
        with self.server.store.cond:
            if f"{namespace if kind.namespaced else ''}/{name}" in self.server.store.objects[kind]:
                obj = _with_meta(obj)
                obj["metadata"].pop("resourceVersion", None)  # unconditional
                return self.update(Request(kind, namespace if kind.namespaced else "", name),
                                   obj, preserve_status="status" not in obj)[1]
            return self.create(kind, namespace, obj, keep_status="status" in obj)


def api_group(group_version):
    group, version = group_version.split("/")
    gv = {"groupVersion": group_version, "version": version}
    return {"name": group, "versions": [gv], "preferredVersion": gv}


def api_resource_list(group_version):
    """The legacy discovery document of one group version (kubectl asks for the aggregated v2
    format first and falls back to this one when the answer is plain application/json)."""
    resources = []
    for k in KINDS:
        if k.api_version != group_version:
            continue
        resource = {"name": k.plural, "singularName": k.kind.lower(), "namespaced": k.namespaced,
                    "kind": k.kind, "verbs": VERBS}
        if k.short_names:
            resource["shortNames"] = list(k.short_names)
        if k.plural == "services":
            resource["categories"] = ["all"]
        resources.append(resource)
        if k.status_subresource:
            resources.append({"name": f"{k.plural}/status", "singularName": "",
                              "namespaced": k.namespaced, "kind": k.kind,
                              "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}


# --- Statistics and failure injection ------------------------------------------------------------

class Stats:
    """Counters for /fake/stats: requests by verb and resource, and the last 200 requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.total = 0
        self.by_verb = collections.defaultdict(collections.Counter)
        self.by_status = collections.Counter()
        self.recent = collections.deque(maxlen=200)

    def record(self, method, target, status, verb, resource):
        with self.lock:
            self.total += 1
            self.by_verb[verb][resource] += 1
            self.by_status[str(status)] += 1
            self.recent.append({"time": round(time.time(), 3), "method": method, "path": target,
                                "status": status, "verb": verb, "resource": resource})

    def snapshot(self):
        with self.lock:
            return {"requests_total": self.total,
                    "requests": {verb: dict(c) for verb, c in self.by_verb.items()},
                    "statuses": dict(self.by_status), "recent": list(self.recent)}


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a watch never holds up the exit
    request_queue_size = 128

    def __init__(self, args, tls):
        super().__init__(("127.0.0.1", args.port), Handler)
        self.tls = tls
        self.token, self.token_file = args.token, args.token_file
        self.client_ca = args.client_ca
        self.bookmark_interval = args.bookmark_interval
        self.quiet = args.quiet
        self.store = Store(args.history_size)
        self.item_cache = {}  # (kind, key) -> (resourceVersion, JSON of the object as a list item)
        self.stats = Stats()
        self.failures_lock = threading.Lock()
        self.failures = None  # (status, count left, retry-after, path substring)

    def server_bind(self):
        # HTTPServer's would look the address up in DNS (getfqdn), which can hang in a sandbox.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, address = self.socket.accept()
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
            super().handle_error(request, client_address)
        elif not self.quiet:
            sys.stderr.write(f"fake-apiserver: connection from {client_address[0]}: {error}\n")

    def current_token(self):
        """The token requests must carry, None when any will do. The file is read on every
        request so that a test can rotate the token by rewriting it."""
        if self.token_file:
            try:
                with open(self.token_file, encoding="utf-8") as f:
                    return f.read().strip()
            except OSError:
                return ""  # no readable token: nothing is accepted
        return self.token

    def fail_next(self, status, count, retry_after, match):
        with self.failures_lock:
            self.failures = (status, count, retry_after, match) if count > 0 else None

    def injected_failure(self, target):
        with self.failures_lock:
            if not self.failures or self.failures[3] not in target:
                return
            status, count, retry_after, match = self.failures
            self.failures = (status, count - 1, retry_after, match) if count > 1 else None
        messages = {429: "Too many requests, please try again later.",
                    503: "The server is currently unable to handle the request"}
        reason = REASONS.get(status, "InternalError" if status >= 500 else "BadRequest")
        message = messages.get(status, f"injected failure ({status})")
        details, headers = None, []
        if retry_after is not None:
            details = {"retryAfterSeconds": retry_after}
            headers = [("Retry-After", str(retry_after))]
        raise ApiError(status, reason, message, details, headers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="0 picks a free one")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", help="the bearer token requests must carry")
    parser.add_argument("--token-file", help="a file holding the token, read on every request "
                        "(wins over --token)")
    parser.add_argument("--bookmark-interval", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument("--history-size", type=int, default=1000,
                        help="watch events kept for resuming watches")
    parser.add_argument("--quiet", action="store_true", help="no log line per request")
    parser.add_argument("--client-ca", help="accept client certificates this CA signed "
                        "(a certificate it did not sign fails the handshake)")
    args = parser.parse_args()

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        tls.load_verify_locations(args.client_ca)
        tls.verify_mode = ssl.CERT_OPTIONAL
    tls.set_alpn_protocols(["http/1.1"])  # Go clients would otherwise try HTTP/2
    server = Server(args, tls)

    def stop(*_):
        # shutdown() waits for serve_forever() to return, so not from this (its own) thread.
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print(f"fake-apiserver: listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.1)  # how soon a SIGTERM is noticed
    server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
