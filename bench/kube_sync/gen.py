#!/usr/bin/env python3
"""Objects for the initial-sync benchmark, as one JSON List for the fake API server's
/fake/objects: INGRESSES Ingresses (host svc-K.example.com, one Prefix path) of class gatehouse,
one Service each, and ENDPOINTS ready endpoints spread over their EndpointSlices.

usage: gen.py INGRESSES ENDPOINTS PORT
"""
import json
import sys

ingresses, endpoints, port = (int(a) for a in sys.argv[1:4])
items = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
          "metadata": {"name": "gatehouse"},
          "spec": {"controller": "gatehouse.dev/ingress-controller"}}]
for k in range(ingresses):
    ns, name = f"team-{k % 50}", f"svc-{k}"
    items.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                  "metadata": {"name": name, "namespace": ns},
                  "spec": {"ingressClassName": "gatehouse", "rules": [
                      {"host": f"{name}.example.com", "http": {"paths": [
                          {"path": "/", "pathType": "Prefix", "backend": {"service": {
                              "name": name, "port": {"number": 80}}}}]}}]}})
    items.append({"apiVersion": "v1", "kind": "Service",
                  "metadata": {"name": name, "namespace": ns},
                  "spec": {"ports": [{"port": 80, "targetPort": port}]}})
    count = endpoints // ingresses + (1 if k < endpoints % ingresses else 0)
    items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "metadata": {"name": f"{name}-abcde", "namespace": ns,
                               "labels": {"kubernetes.io/service-name": name}},
                  "addressType": "IPv4", "ports": [{"port": port}],
                  "endpoints": [{"addresses": [f"10.{k // 250 % 250}.{k % 250}.{e + 1}"],
                                 "conditions": {"ready": True}} for e in range(count)]})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
