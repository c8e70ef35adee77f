"""Kiln IAM access: AWS SigV4 signing, IMDSv2, credentials (environment, instance profile,
AssumeRole), the IAM Query API client and SSH key validation.

Loaded only on the key command's cache miss and by the sync (see kiln_iam for the module map).
"""
import os
import time

from kiln_http import Deadline, _uri_decode, _uri_encode, http_request, parse_xml, text, urlencode, urlsplit, xml_error
from kiln_iam import AwsError, KilnError, atomic_write, dumps, loads, read_json_private, sha256

IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"

def hmac_sha256(key, msg):
    """HMAC (RFC 2104) with SHA-256; equal to hmac.new(key, msg, hashlib.sha256).digest()."""
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key))
    inner.update(msg)
    outer = sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()



# --------------------------------------------------------------------------------------------------
# SSH keys

_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def validate_key(body, allowed_types):
    """Checks one IAM key body; returns (keytype, base64, sha256-fingerprint) or raises ValueError.

    Accepted: one line "<type> <base64> [comment]" with no options, no control characters, a type
    from allowedKeyTypes, base64 that decodes, and whose embedded type string equals <type>. The
    comment is dropped from the printed line."""
    import binascii

    if not isinstance(body, str):
        raise ValueError("not text")
    body = body.strip()
    if not body or len(body) > 16384:
        raise ValueError("empty or too long")
    for ch in body:
        o = ord(ch)
        if o < 0x20 or o == 0x7F:
            raise ValueError("control character")
    parts = body.split()
    if len(parts) < 2:
        raise ValueError("not '<type> <base64>'")
    ktype, b64 = parts[0], parts[1]
    if ktype not in allowed_types:
        raise ValueError("key type not allowed")
    if len(b64) % 4 or not all(c in _B64 for c in b64) or "=" in b64.rstrip("="):
        raise ValueError("base64 does not decode")
    try:
        blob = binascii.a2b_base64(b64.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError("base64 does not decode")
    if len(blob) < 4:
        raise ValueError("blob too short")
    n = int.from_bytes(blob[:4], "big")
    if n > len(blob) - 4 or blob[4 : 4 + n] != ktype.encode("ascii"):
        raise ValueError("embedded type does not match")
    return ktype, b64, fingerprint(blob)


def fingerprint(blob):
    """OpenSSH's SHA256 fingerprint of a key blob: "SHA256:" + unpadded base64 of its SHA-256."""
    import binascii

    return "SHA256:" + binascii.b2a_base64(sha256(blob).digest(), newline=False).decode("ascii").rstrip("=")


def sign_v4(method, url, headers, body, access_key, secret_key, region, service, session_token=None, now=None):
    """Returns a new header dict with X-Amz-Date, (X-Amz-Security-Token) and Authorization added.

    `headers` must contain Host (or it is derived from the URL); every header given is signed.
    `now` is a UTC datetime (tests) or None (the current time)."""
    if now is None:
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    else:
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    scheme, host, port, path, query = urlsplit(url)
    out = dict(headers)
    if not any(k.lower() == "host" for k in out):
        out["Host"] = host if port == (443 if scheme == "https" else 80) else "%s:%d" % (host, port)
    if not any(k.lower() == "x-amz-date" for k in out):
        out["X-Amz-Date"] = amz_date
    else:
        amz_date = [v for k, v in out.items() if k.lower() == "x-amz-date"][0]
        day = amz_date[:8]
    if session_token:
        out["X-Amz-Security-Token"] = session_token
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    canonical_uri = _uri_encode(path, safe="/-_.~")
    q = [(_uri_decode(k), _uri_decode(v)) for k, _, v in (p.partition("=") for p in query.split("&") if p)]
    canonical_query = "&".join(
        "%s=%s" % (_uri_encode(k), _uri_encode(v)) for k, v in sorted((k, v) for k, v in q)
    )
    hdrs = {}
    for k, v in out.items():
        lk = k.lower().strip()
        val = " ".join(str(v).strip().split())
        hdrs[lk] = hdrs[lk] + "," + val if lk in hdrs else val
    signed = ";".join(sorted(hdrs))
    canonical_headers = "".join("%s:%s\n" % (k, hdrs[k]) for k in sorted(hdrs))
    payload_hash = sha256(body).hexdigest()
    creq = "\n".join([method.upper(), canonical_uri, canonical_query, canonical_headers, signed, payload_hash])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, sha256(creq.encode("utf-8")).hexdigest()])

    def _h(key, msg):
        return hmac_sha256(key, msg.encode("utf-8"))

    k = _h(("AWS4" + secret_key).encode("utf-8"), day)
    k = _h(k, region)
    k = _h(k, service)
    k = _h(k, "aws4_request")
    sig = hmac_sha256(k, sts.encode("utf-8")).hex()
    out["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access_key,
        scope,
        signed,
        sig,
    )
    return out



# --------------------------------------------------------------------------------------------------
# Credentials


class Credentials(object):
    def __init__(self, access_key, secret_key, token=None, expiration=None, source="env"):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self.expiration = expiration  # epoch seconds or None
        self.source = source

    def fresh(self, margin=300):
        return self.expiration is None or self.expiration - time.time() > margin

    def __repr__(self):  # never show secrets
        return "Credentials(source=%s)" % self.source


def _parse_time(s):
    import datetime

    s = s.strip().replace("Z", "+00:00")
    if "." in s:
        head, tail = s.split(".", 1)
        tz = tail[tail.find("+"):] if "+" in tail else ""
        s = head + tz
    return datetime.datetime.fromisoformat(s).timestamp()


def credentials_from_env(environ=None):
    environ = os.environ if environ is None else environ
    ak = environ.get("AWS_ACCESS_KEY_ID")
    sk = environ.get("AWS_SECRET_ACCESS_KEY")
    if ak and sk:
        return Credentials(ak, sk, environ.get("AWS_SESSION_TOKEN") or None, None, "env")
    return None


def imds_get(endpoint, path, deadline, token=None):
    headers = {"X-aws-ec2-metadata-token": token} if token else {}
    return http_request("GET", endpoint.rstrip("/") + path, headers, None, deadline, max_timeout=2.0)


def imds_token(endpoint, deadline):
    status, body = http_request(
        "PUT",
        endpoint.rstrip("/") + "/latest/api/token",
        {"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
        None,
        deadline,
        max_timeout=2.0,
    )
    if status != 200:
        raise KilnError("IMDSv2 token request answered HTTP %d" % status)
    return body.decode("ascii", "replace").strip()


def imds_credentials(endpoint, deadline):
    token = imds_token(endpoint, deadline)
    status, body = imds_get(endpoint, "/latest/meta-data/iam/security-credentials/", deadline, token)
    if status != 200:
        raise KilnError("no instance profile (IMDS HTTP %d)" % status)
    role = body.decode("utf-8", "replace").strip().splitlines()
    if not role:
        raise KilnError("no instance profile role")
    status, body = imds_get(endpoint, "/latest/meta-data/iam/security-credentials/" + role[0].strip(), deadline, token)
    if status != 200:
        raise KilnError("instance credentials unavailable (IMDS HTTP %d)" % status)
    try:
        d = loads(body)
        return Credentials(d["AccessKeyId"], d["SecretAccessKey"], d.get("Token"), _parse_time(d["Expiration"]), "imds")
    except (ValueError, KeyError, TypeError):
        raise KilnError("malformed instance credentials document")


def assume_role(cfg, base, deadline, cache_path=None):
    """sts:AssumeRole for cfg['assumeRole']; cached (0600, atomic) until 5 minutes before expiry."""
    if cache_path:
        c = read_json_private(cache_path)
        if c and c.get("role") == cfg["assumeRole"] and c.get("exp", 0) - time.time() > 300:
            return Credentials(c["ak"], c["sk"], c.get("tk"), c["exp"], "assume-role-cache")
    body = urlencode(
        {
            "Action": "AssumeRole",
            "Version": STS_VERSION,
            "RoleArn": cfg["assumeRole"],
            "RoleSessionName": "kiln-" + (os.uname().nodename.replace(".", "-")[:40] or "instance"),
            "DurationSeconds": "3600",
        }
    )
    root = _signed_post(cfg["stsEndpoint"], body, base, cfg["region"], "sts", deadline)
    c = root.find(".//Credentials")
    if c is None:
        raise KilnError("AssumeRole answered without credentials")
    creds = Credentials(
        text(c, "AccessKeyId"), text(c, "SecretAccessKey"), text(c, "SessionToken"),
        _parse_time(text(c, "Expiration")), "assume-role",
    )
    if cache_path:
        try:
            atomic_write(cache_path, dumps({
                "role": cfg["assumeRole"], "ak": creds.access_key, "sk": creds.secret_key,
                "tk": creds.token, "exp": creds.expiration,
            }).encode("utf-8"), 0o600)
        except OSError:
            pass
    return creds


def get_credentials(cfg, deadline, assume_cache=None):
    creds = credentials_from_env()
    if creds is None:
        creds = imds_credentials(cfg["metadataEndpoint"], deadline)
    if cfg.get("assumeRole"):
        creds = assume_role(cfg, creds, deadline, assume_cache)
    return creds


def _signed_post(endpoint, body, creds, region, service, deadline):
    url = endpoint.rstrip("/") + "/"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    headers = sign_v4("POST", url, headers, body, creds.access_key, creds.secret_key, region, service, creds.token)
    status, data = http_request("POST", url, headers, body.encode("utf-8"), deadline)
    if status != 200:
        code, msg = xml_error(data)
        raise AwsError(code or ("HTTP%d" % status), (msg or "")[:200], status)
    return parse_xml(data)


# --------------------------------------------------------------------------------------------------
# IAM client


class IamClient(object):
    """Minimal IAM Query API client. `calls` counts requests per Action (benchmarks, tests)."""

    MAX_PAGES = 10000

    def __init__(self, cfg, creds, deadline, post=None):
        self.cfg = cfg
        self.creds = creds
        self.deadline = deadline
        self.calls = {}
        self._post = post or self._http_post

    def _http_post(self, body):
        # IAM is a global service: always signed for us-east-1 / iam.
        return _signed_post(self.cfg["iamEndpoint"], body, self.creds, "us-east-1", "iam", self.deadline)

    def call(self, action, params=None):
        p = [("Action", action), ("Version", IAM_VERSION)]
        for k in sorted(params or {}):
            p.append((k, params[k]))
        self.calls[action] = self.calls.get(action, 0) + 1
        return self._post(urlencode(p))

    def paginate(self, action, params, list_tag, key_tag):
        """All members of every page; KilnError on an inconsistent page set (IsTruncated without a
        Marker, a repeated Marker, a member listed twice, too many pages)."""
        items = []
        seen = set()
        markers = set()
        params = dict(params)
        for _ in range(self.MAX_PAGES):
            root = self.call(action, params)
            result = root.find(".//%sResult" % action)
            if result is None:
                raise KilnError("%s: response has no %sResult" % (action, action))
            lst = result.find(list_tag)
            if lst is None:
                raise KilnError("%s: response has no %s" % (action, list_tag))
            for m in lst.findall("member"):
                k = text(m, key_tag)
                if not k:
                    raise KilnError("%s: member without %s" % (action, key_tag))
                if k.lower() in seen:
                    raise KilnError("%s: %s listed twice" % (action, key_tag))
                seen.add(k.lower())
                items.append(m)
            truncated = (text(result, "IsTruncated") or "false").lower()
            if truncated not in ("true", "false"):
                raise KilnError("%s: IsTruncated is %r" % (action, truncated))
            if truncated == "false":
                return items, result
            marker = text(result, "Marker")
            if not marker:
                raise KilnError("%s: IsTruncated without Marker" % action)
            if marker in markers:
                raise KilnError("%s: Marker repeated" % action)
            markers.add(marker)
            params["Marker"] = marker
        raise KilnError("%s: more than %d pages" % (action, self.MAX_PAGES))

    def get_group_members(self, group):
        """[(UserName, UserId)] of every member of `group`."""
        items, _ = self.paginate("GetGroup", {"GroupName": group, "MaxItems": "1000"}, "Users", "UserName")
        return [(text(m, "UserName"), text(m, "UserId")) for m in items]

    def list_users(self):
        items, _ = self.paginate("ListUsers", {"MaxItems": "1000"}, "Users", "UserName")
        return [(text(m, "UserName"), text(m, "UserId")) for m in items]

    def list_groups_for_user(self, user):
        items, _ = self.paginate("ListGroupsForUser", {"UserName": user, "MaxItems": "1000"}, "Groups", "GroupName")
        return [text(m, "GroupName") for m in items]

    def list_ssh_public_keys(self, user):
        """[(SSHPublicKeyId, Status)]"""
        items, _ = self.paginate(
            "ListSSHPublicKeys", {"UserName": user, "MaxItems": "1000"}, "SSHPublicKeys", "SSHPublicKeyId"
        )
        return [(text(m, "SSHPublicKeyId"), text(m, "Status")) for m in items]

    def get_user_id(self, user):
        """The UserId of the IAM user named `user` (AwsError NoSuchEntity when there is none)."""
        root = self.call("GetUser", {"UserName": user})
        user_id = text(root, ".//GetUserResult/User/UserId")
        if not user_id:
            raise KilnError("GetUser: response has no UserId")
        return user_id

    def get_ssh_public_key(self, user, key_id):
        """(body, Status) of one key, SSH encoding."""
        root = self.call("GetSSHPublicKey", {"UserName": user, "SSHPublicKeyId": key_id, "Encoding": "SSH"})
        k = root.find(".//GetSSHPublicKeyResult/SSHPublicKey")
        if k is None:
            raise KilnError("GetSSHPublicKey: response has no SSHPublicKey")
        return k.findtext("SSHPublicKeyBody") or "", text(k, "Status")

    def total_calls(self):
        return sum(self.calls.values())


_GROUP_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=.@_-")


def parse_groups_tag(tag, body):
    """The IAM group names of a comma-separated tag value. A blank value, an empty element or a name
    IAM could not have is an error (KilnError: the run changes nothing): a blank tag must never be
    read as "no group restriction", i.e. every IAM user."""
    try:
        value = body.decode("utf-8")
    except UnicodeDecodeError:
        raise KilnError("instance tag %s is not UTF-8" % tag)
    names = [g.strip() for g in value.split(",")]
    if not value.strip() or any(not g or len(g) > 128 or not set(g) <= _GROUP_CHARS for g in names):
        raise KilnError("instance tag %s=%r is not a comma-separated list of IAM group names" % (tag, value[:200]))
    return names


def effective_groups(cfg, root="/", deadline=None):
    """(iamGroups, sudoGroups) for this instance: from EC2 instance tags `kiln:iamGroups` and
    `kiln:sudoGroups` (comma-separated) when groupsFromTags is true and the tag exists, otherwise
    from the configuration."""
    groups = list(cfg.get("iamGroups") or [])
    sudo = list(cfg.get("sudoGroups") or [])
    if not cfg.get("groupsFromTags"):
        return groups, sudo
    deadline = deadline or Deadline(10)
    ep = cfg["metadataEndpoint"]
    token = imds_token(ep, deadline)
    result = []
    for tag, default in (("kiln:iamGroups", groups), ("kiln:sudoGroups", sudo)):
        status, body = imds_get(ep, "/latest/meta-data/tags/instance/" + tag, deadline, token)
        if status == 200:
            result.append(parse_groups_tag(tag, body))
        elif status == 404:
            result.append(default)
        else:
            raise KilnError("instance tags unavailable (IMDS HTTP %d)" % status)
    return result[0], result[1]


