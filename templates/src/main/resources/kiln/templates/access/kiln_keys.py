"""Kiln key command (/usr/libexec/kiln/authorized-keys): sshd's AuthorizedKeysCommand.

Kept in a module, not in the script: a script run as __main__ is compiled on every start, a module
is loaded from its cached bytecode. The cached path needs only kiln_iam; kiln_aws (and with it
kiln_http) is imported on a cache miss.
"""
import posix as _posix
import sys
import time

from kiln_iam import (KilnError, _join, atomic_write, dumps, group_members, load_config, local_to_iam, log, loads,
                      lookup_user, os, read_json_private, under_root)

KEYS_IDENT = "kiln-authorized-keys"
_T0 = 0.0


def _keys_parse_args(argv):
    config = None
    root = "/"
    rest = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--config" and i + 1 < len(argv):
            config = argv[i + 1]
            i += 2
        elif a == "--root" and i + 1 < len(argv):
            root = argv[i + 1]
            i += 2
        else:
            rest.append(a)
            i += 1
    if not rest or len(rest) > 2:
        raise KilnError("usage: authorized-keys [--config FILE] [--root DIR] USER [FINGERPRINT]")
    return config, root, rest[0], (rest[1] if len(rest) > 1 and rest[1] else None)


class _Decision(object):
    def __init__(self, user):
        self.user = user
        self.fp = "-"
        self.key_ids = []
        self.outcome = "error"
        self.source = "-"

    def log(self, level="info", detail=None):
        ms = (time.monotonic() - _T0) * 1000.0
        msg = "user=%s fingerprint=%s key_id=%s outcome=%s source=%s duration_ms=%.1f" % (
            self.user, self.fp, ",".join(self.key_ids) or "-", self.outcome, self.source, ms,
        )
        if detail:
            msg += " detail=%s" % detail.replace(" ", "_")[:200]
        log(KEYS_IDENT, msg, level)


def _ttl(cfg, entry):
    if entry.get("status") == "ok":
        return float(cfg["keyCacheTtl"])
    return float(cfg["negativeCacheTtl"])


def _authorized_groups(cfg, root):
    """Configured IAM groups; with groupsFromTags, the list the last sync resolved from the tags."""
    if cfg.get("groupsFromTags"):
        path = under_root(root, os.path.join(cfg["stateDir"], "groups.json"))
        with open(path, "rb") as f:
            return list(loads(f.read())["iamGroups"])
    return list(cfg.get("iamGroups") or [])


def fetch_user_keys(cfg, root, iam_name, old, deadline):
    """Asks IAM; returns a new cache entry."""
    import kiln_aws as A

    creds = A.get_credentials(cfg, deadline, os.path.join(under_root(root, cfg["cacheDir"]), ".assume-role.json"))
    client = A.IamClient(cfg, creds, deadline)
    now = time.time()
    groups = _authorized_groups(cfg, root)
    try:
        if groups:
            mine = set(g.lower() for g in client.list_groups_for_user(iam_name))
            if not any(g.lower() in mine for g in groups):
                return {"t": now, "iam": iam_name, "status": "not-in-group", "keys": [], "known": {}}
        listed = client.list_ssh_public_keys(iam_name)
    except A.AwsError as e:
        if e.code == "NoSuchEntity":
            return {"t": now, "iam": iam_name, "status": "no-such-iam-user", "keys": [], "known": {}}
        raise
    # Key bodies never change for a given key id: ids fetched before are not fetched again.
    known_old = (old or {}).get("known") or {}
    known = {}
    active = []
    allowed = cfg["allowedKeyTypes"]
    for key_id, status in listed:
        if status != "Active":
            if key_id in known_old:
                known[key_id] = known_old[key_id]
            continue
        if key_id in known_old:
            known[key_id] = known_old[key_id]
        else:
            body, status2 = client.get_ssh_public_key(iam_name, key_id)
            if status2 != "Active":
                continue
            try:
                ktype, b64, fp = A.validate_key(body, allowed)
                known[key_id] = {"line": ktype + " " + b64, "fp": fp}
            except ValueError as e:
                known[key_id] = {"invalid": str(e)}
        active.append(key_id)
    return {"t": now, "iam": iam_name, "status": "ok", "keys": active, "known": known}


def main(argv, t0=None):
    global _T0
    _T0 = t0 if t0 is not None else time.monotonic()
    try:
        import _signal as signal  # the C module: `signal` imports enum (~4 ms)
    except ImportError:
        import signal

    cfg = None
    d = _Decision("-")
    try:
        config, root, user, want_fp = _keys_parse_args(argv)
        d.user = user if len(user) <= 64 and user.isprintable() else "<invalid>"
        d.fp = want_fp or "-"
        cfg = load_config(config)
        deadline_s = float(cfg["deadline"])

        def _on_alarm(signum, frame):
            d.outcome = "timeout"
            try:
                d.log("warning")
            finally:
                _posix._exit(1)

        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, deadline_s)

        lo, hi = cfg["uidRange"]
        iam_name = None if user == "root" else local_to_iam(user)
        if iam_name is None:
            d.outcome = "refused-not-a-kiln-name"
            d.log("notice")
            return 1
        pw = lookup_user(root, user)
        if pw is None:
            d.outcome = "refused-unknown-user"
            d.log("notice")
            return 1
        if not (lo <= pw[0] <= hi):
            d.outcome = "refused-uid-outside-range"
            d.log("notice")
            return 1
        marker = group_members(root, cfg["markerGroup"])
        if marker is None or user not in marker[1]:
            d.outcome = "refused-unmanaged-user"
            d.log("notice")
            return 1

        cache_dir = under_root(root, cfg["cacheDir"])
        cache_path = _join(cache_dir, user + ".json")
        entry = read_json_private(cache_path)
        if entry is not None and entry.get("iam") != iam_name:
            entry = None
        now = time.time()
        if entry is not None and 0 <= now - entry.get("t", 0) < _ttl(cfg, entry):
            d.source = "cache"
        else:
            try:
                import kiln_aws as A

                new = fetch_user_keys(cfg, root, iam_name, entry, A.Deadline(max(0.05, deadline_s - (time.monotonic() - _T0) - 0.05)))
            except KilnError as e:
                stale = float(cfg.get("staleIfError") or 0)
                if (
                    stale > 0 and entry is not None and entry.get("status") == "ok"
                    and 0 <= now - entry.get("t", 0) < _ttl(cfg, entry) + stale
                ):
                    d.source = "stale-cache"
                    log(KEYS_IDENT, "user=%s iam_error=%s serving_stale=yes" % (user, e.__class__.__name__), "warning")
                else:
                    d.outcome = "error"
                    d.log("err", str(e))
                    return 1
            else:
                entry = new
                d.source = "iam"
                try:
                    if not os.path.isdir(cache_dir):
                        os.makedirs(cache_dir, 0o700)
                    atomic_write(cache_path, dumps(entry).encode("utf-8"), 0o600)
                except OSError as e:
                    log(KEYS_IDENT, "user=%s cache_write_failed=%s" % (user, e.__class__.__name__), "warning")

        if entry.get("status") != "ok":
            d.outcome = "refused-" + str(entry.get("status"))
            d.log("notice")
            return 0
        lines = []
        known = entry.get("known") or {}
        for key_id in entry.get("keys") or []:
            k = known.get(key_id) or {}
            if "line" not in k:
                log(KEYS_IDENT, "user=%s key_id=%s outcome=key-rejected reason=%s" % (
                    user, key_id, str(k.get("invalid", "unknown")).replace(" ", "_")), "warning")
                continue
            if want_fp and k.get("fp") != want_fp:
                continue
            lines.append(k["line"])
            d.key_ids.append(key_id)
        out = ("\n".join(lines) + "\n") if lines else ""
        signal.setitimer(signal.ITIMER_REAL, 0)
        if out:
            sys.stdout.write(out)
            sys.stdout.flush()
        d.outcome = "keys-printed" if lines else "no-matching-key"
        d.log()
        return 0
    except Exception as e:  # fail closed, print nothing
        d.outcome = "error"
        try:
            d.log("err", "%s:%s" % (e.__class__.__name__, e))
        except Exception:
            pass
        return 1

