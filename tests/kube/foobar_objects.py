#!/usr/bin/env python3
"""The talk's foobar objects (examples/foobar.yaml) as one JSON List, for the fake API server's
/fake/objects: IngressClass gatehouse, Ingress foobar of that class, and per rule a Service with
an EndpointSlice on 127.0.0.1.

usage: foobar_objects.py PORT_FOO_A PORT_FOO_B PORT_BAR_A PORT_BAR_B [--foo-a-path PATH]
                         [--foo-b-extra-port PORT]
"""
import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("ports", type=int, nargs=4)
parser.add_argument("--foo-a-path", default="/a", help="the path of rule r1 (foo.org -> foo-a)")
parser.add_argument("--foo-b-extra-port", type=int,
                    help="a second ready endpoint in foo-b's EndpointSlice")
args = parser.parse_args()

# (host, path, service, service port, pod port)
rules = [("foo.org", args.foo_a_path, "foo-a", 8080, args.ports[0]),
         ("foo.org", "/b", "foo-b", 8181, args.ports[1]),
         ("bar.org", "/a", "bar-a", 9090, args.ports[2]),
         ("bar.org", "/b", "bar-b", 9191, args.ports[3])]

items = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
          "metadata": {"name": "gatehouse"},
          "spec": {"controller": "gatehouse.dev/ingress-controller"}}]
hosts = {}
for host, path, service, _, _ in rules:
    hosts.setdefault(host, []).append(
        {"path": path, "pathType": "Prefix",
         "backend": {"service": {"name": service,
                                 "port": {"number": next(r[3] for r in rules if r[2] == service)}}}})
items.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
              "metadata": {"name": "foobar", "namespace": "default"},
              "spec": {"ingressClassName": "gatehouse",
                       "rules": [{"host": h, "http": {"paths": p}} for h, p in hosts.items()]}})
for _, _, service, port, pod_port in rules:
    items.append({"apiVersion": "v1", "kind": "Service",
                  "metadata": {"name": service, "namespace": "default"},
                  "spec": {"ports": [{"port": port, "targetPort": pod_port}]}})
    endpoints = [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}]
    ports = [{"port": pod_port}]
    if service == "foo-b" and args.foo_b_extra_port:
        # One more pod on another port: a second slice, as the EndpointSlice controller would
        # make for a different target port.
        items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                      "metadata": {"name": service + "-extra", "namespace": "default",
                                   "labels": {"kubernetes.io/service-name": service}},
                      "addressType": "IPv4", "endpoints": endpoints,
                      "ports": [{"port": args.foo_b_extra_port}]})
    items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "metadata": {"name": service + "-local", "namespace": "default",
                               "labels": {"kubernetes.io/service-name": service}},
                  "addressType": "IPv4", "endpoints": endpoints, "ports": ports})
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
