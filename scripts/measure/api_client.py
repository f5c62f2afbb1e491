"""The two API calls the measurement scripts make: a login and a document upload
(multipart field `document`), with the standard library only."""

import json
import urllib.request
import uuid


def login(base, email, password):
    req = urllib.request.Request(f"{base}/api/auth/login", method="POST",
                                 data=json.dumps({"email": email, "password": password}).encode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["token"]


def upload(base, token, filename, text):
    """POST /api/documents/upload; returns (status, answer)."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; "
            f"filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(f"{base}/api/documents/upload", data=body, method="POST")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read())
