#!/usr/bin/env python3
"""Minimal external.metrics.k8s.io/v1beta1 backend for the aggregation smoke check (hack/lib/verify-aggregation.sh).

Serves HTTPS on 127.0.0.1 only; requires kube-apiserver's front-proxy client certificate (signed by the
requestheader CA, CN in the allowed names) and an X-Remote-User header, like a real extension API server.
Every metric has the same value. Each request is logged to stdout as one JSON line.

usage: fake-external-metrics.py <port> <serving.crt> <serving.key> <requestheader-ca.crt> <allowed-cn> <value>
"""
import json
import ssl
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PORT, CERT, KEY, CLIENT_CA, ALLOWED_CN, VALUE = sys.argv[1:7]
GV = "external.metrics.k8s.io/v1beta1"


def status(code, reason, message):
    return code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": message, "reason": reason, "code": code}


def route(path, query):
    if path == "/apis":
        return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group()]}
    if path == "/apis/external.metrics.k8s.io":
        return 200, group()
    if path == "/apis/" + GV:
        return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GV, "resources": [
            {"name": "foresight_smoke", "singularName": "", "namespaced": True,
             "kind": "ExternalMetricValueList", "verbs": ["get"]}]}
    parts = path.split("/")
    # /apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}
    if len(parts) == 7 and parts[:4] == ["", "apis", "external.metrics.k8s.io", "v1beta1"] and parts[4] == "namespaces":
        labels = {}
        for term in (query.get("labelSelector", [""])[0]).split(","):
            if "=" in term and "!" not in term:
                k, v = term.replace("==", "=").split("=", 1)
                labels[k.strip()] = v.strip()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, {"kind": "ExternalMetricValueList", "apiVersion": GV, "metadata": {}, "items": [
            {"metricName": parts[6], "metricLabels": labels, "timestamp": now, "value": VALUE}]}
    return status(404, "NotFound", "not found")


def group():
    v = {"groupVersion": GV, "version": "v1beta1"}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": "external.metrics.k8s.io",
            "versions": [v], "preferredVersion": v}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        cert = self.connection.getpeercert() or {}
        cn = next((v for rdn in cert.get("subject", ()) for (k, v) in rdn if k == "commonName"), None)
        user = self.headers.get("X-Remote-User")
        u = urlsplit(self.path)
        if cn != ALLOWED_CN or not user:
            code, body = status(401, "Unauthorized", "front-proxy client certificate and X-Remote-User required")
        else:
            code, body = route(u.path, parse_qs(u.query))
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print(json.dumps({"path": u.path, "query": u.query, "cn": cn, "user": user,
                          "groups": self.headers.get_all("X-Remote-Group") or [], "code": code}), flush=True)

    def log_message(self, *args):
        pass


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
ctx.load_verify_locations(CLIENT_CA)
ctx.verify_mode = ssl.CERT_REQUIRED
server = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(json.dumps({"listening": f"127.0.0.1:{server.server_address[1]}"}), flush=True)
server.serve_forever()
