#!/usr/bin/env python3
"""A real Docker token server for the registry tests (the protocol of distribution's
token auth): GET /token?service=..&scope=.. with Basic credentials answers
{"token", "expires_in", "issued_at"} where the token is an RS256 JWT whose x5c header holds
the certificate the registry trusts (its rootcertbundle). Wrong credentials get 401.
Every request is appended to <dir>/token.log (one line: the query) so tests can count
token fetches. Usage: token_server.py PORT DIR ISSUER SERVICE USER PASS
(DIR holds key.pem and cert.pem, the signing pair, read at every request so that a test can
rotate it). Listens on 127.0.0.1 only."""
import base64
import datetime
import http.server
import json
import os
import sys
import time
import urllib.parse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

PORT, DIR, ISSUER, SERVICE, USER, PASS = sys.argv[1:7]
EXPIRES = int(os.environ.get("TOKEN_EXPIRES_IN", "300"))


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        with open(os.path.join(DIR, "token.log"), "a") as f:
            f.write(url.query + "\n")
        want = "Basic " + base64.b64encode(f"{USER}:{PASS}".encode()).decode()
        if url.path != "/token" or self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return
        access = []
        for s in q.get("scope", []):
            typ, name, actions = s.split(":", 2) if s.count(":") >= 2 else (s, "", "")
            acts = actions.split(",")
            if "*" in acts:
                acts += ["pull", "push", "delete"]
            access.append({"type": typ, "name": name, "actions": acts})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": USER, "aud": SERVICE, "exp": now + EXPIRES,
                  "nbf": now - 30, "iat": now, "jti": str(now) + str(len(access)),
                  "access": access}
        key = open(os.path.join(DIR, "key.pem"), "rb").read()
        cert = x509.load_pem_x509_certificate(open(os.path.join(DIR, "cert.pem"), "rb").read())
        x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        token = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})
        issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        body = json.dumps({"token": token, "expires_in": EXPIRES,
                           "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
