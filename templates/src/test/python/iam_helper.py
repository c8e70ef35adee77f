"""Runs IAM calls against an endpoint (used inside a test's network namespace).

`python3 iam_helper.py ENDPOINT 'JSON list of [Action, {params}]'` prints a JSON list of the key ids
returned by UploadSSHPublicKey calls and the UserIds returned by CreateUser calls. `python3 iam_helper.py ENDPOINT --wait` waits for moto.
"""
import json
import sys
import time
import urllib.request

import kilntest as T

if __name__ == "__main__":
    endpoint = sys.argv[1]
    if sys.argv[2] == "--wait":
        end = time.time() + 20
        while time.time() < end:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
                sys.exit(0)
            except Exception:
                time.sleep(0.1)
        sys.exit(1)
    iam = T.Iam(endpoint)
    out = []
    for action, params in json.loads(sys.argv[2]):
        r = getattr(iam, action)(**params)
        kid = r.find(".//SSHPublicKeyId")
        if action == "UploadSSHPublicKey" and kid is not None:
            out.append(kid.text)
        if action == "CreateUser":
            out.append(r.find(".//UserId").text)
    print(json.dumps(out))
