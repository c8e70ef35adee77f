"""Kiln key command (/usr/libexec/kiln/authorized-keys): sshd's AuthorizedKeysCommand, run as
`kiln-keys`.

Kept in a module, not in the script: a script run as __main__ is compiled on every start, a module
is loaded from its cached bytecode. The cached path needs only kiln_iam; kiln_aws (and with it
kiln_http) is imported on a cache miss.

The steps, in main():
  1. account()  is `user` an account the sync owns: an image of an IAM name, not root, UID inside
                uidRange, in the marker group, a login shell, and listed in the sync's published
                file (kiln_iam.PUBLISHED) with that UID? No IAM call for anyone else.
  2. entry()    the user's cache entry when fresh; otherwise one fetch from IAM shared by every
                concurrent login of the user (a per-user flock; the others then read its result),
                an IAM failure remembered for ERROR_TTL seconds (no call in between), stale keys
                served only within staleIfError.
  3. print the Active, valid keys (only the one with fingerprint %f when given).
Everything runs under one deadline (a SIGALRM timer; name resolution runs in a thread bounded by
it): at the deadline the command logs and exits 1 having printed nothing.
"""
import posix as _posix
import sys
import time

from kiln_iam import (KilnError, _join, atomic_write, dumps, group_members, load_config, local_to_iam, log,
                      lookup_user, os, read_json_private, read_published, under_root)

KEYS_IDENT = "kiln-authorized-keys"
# An IAM failure is remembered this long: logins during throttling or an outage fail (or are served
# stale keys) without asking IAM again.
ERROR_TTL = 5.0
_T0 = 0.0


class Refused(Exception):
    """The user is not one the key command answers for; the message is the logged outcome."""


def parse_args(argv):
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


class Decision(object):
    """What is logged: one syslog line per login attempt."""

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


def account(cfg, root, user):
    """(IAM name, owning UserId, published file) of a user the sync owns; Refused otherwise."""
    iam_name = None if user == "root" else local_to_iam(user)
    if iam_name is None:
        raise Refused("refused-not-a-kiln-name")
    pw = lookup_user(root, user)
    if pw is None:
        raise Refused("refused-unknown-user")
    lo, hi = cfg["uidRange"]
    if not (lo <= pw[0] <= hi):
        raise Refused("refused-uid-outside-range")
    marker = group_members(root, cfg["markerGroup"])
    if marker is None or user not in marker[1]:
        raise Refused("refused-unmanaged-user")
    if pw[2].endswith(("/nologin", "/false")):
        raise Refused("refused-locked-account")  # locked by the sync or by an admin (usermod -s)
    published = read_published(under_root(root, cfg["cacheDir"]))
    rec = ((published or {}).get("accounts") or {}).get(user)
    if not isinstance(rec, dict) or rec.get("uid") != pw[0] or not rec.get("userId"):
        raise Refused("refused-not-owned-by-sync")
    return iam_name, rec["userId"], published


def _ttl(cfg, entry):
    if entry.get("status") == "ok":
        return float(cfg["keyCacheTtl"])
    return float(cfg["negativeCacheTtl"])


def _fresh(cfg, entry, now):
    return entry is not None and "status" in entry and 0 <= now - entry.get("t", 0) < _ttl(cfg, entry)


def _read_entry(path, iam_name, user_id):
    entry = read_json_private(path)
    if entry is None or entry.get("iam") != iam_name or entry.get("userId") != user_id:
        return None  # another person's entry (name reused), or none
    return entry


def _deadline(cfg):
    import kiln_aws as A

    return A.Deadline(max(0.05, float(cfg["deadline"]) - (time.monotonic() - _T0) - 0.05))


def entry(cfg, root, user, iam_name, user_id, published, d):
    """The cache entry to answer from (fresh, just fetched, or stale within staleIfError); raises
    KilnError when there is none."""
    cache_dir = under_root(root, cfg["cacheDir"])
    path = _join(cache_dir, user + ".json")
    e = _read_entry(path, iam_name, user_id)
    if _fresh(cfg, e, time.time()):
        d.source = "cache"
        return e
    lock = _lock(cache_dir, user)  # single flight: wait for a concurrent fetch of this user
    try:
        e = _read_entry(path, iam_name, user_id)
        now = time.time()
        if _fresh(cfg, e, now):
            d.source = "cache-after-wait"
            return e
        error = None
        if e is not None and 0 <= now - e.get("errorAt", 0) < ERROR_TTL:
            error = KilnError("IAM failed %.1f s ago: %s" % (now - e["errorAt"], e.get("error", "")))
        else:
            try:
                new = fetch_user_keys(cfg, root, iam_name, user_id, published, e, _deadline(cfg))
            except KilnError as x:
                error = x
                failed = dict(e or {"iam": iam_name, "userId": user_id}, errorAt=now, error=x.__class__.__name__)
                _save(path, failed, user)
            else:
                d.source = "iam"
                _save(path, new, user)
                return new
    finally:
        if lock is not None:
            _posix.close(lock)
    stale = float(cfg.get("staleIfError") or 0)
    if stale > 0 and e is not None and e.get("status") == "ok" and 0 <= now - e.get("t", 0) < _ttl(cfg, e) + stale:
        d.source = "stale-cache"
        log(KEYS_IDENT, "user=%s iam_error=%s serving_stale=yes" % (user, error.__class__.__name__), "warning")
        return e
    raise error


def _lock(cache_dir, user):
    """An exclusive flock on cache_dir/.USER.lock (local names never start with "."); None when the
    directory is not writable (then every login fetches on its own). Waiting is bounded by the
    SIGALRM deadline."""
    import fcntl

    try:
        fd = _posix.open(_join(cache_dir, "." + user + ".lock"),
                         _posix.O_RDWR | _posix.O_CREAT | _posix.O_NOFOLLOW | _posix.O_NONBLOCK | _posix.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        _posix.close(fd)
        return None
    return fd


def _save(path, entry, user):
    try:
        d = os.path.dirname(path)
        if not os.path.isdir(d):
            os.makedirs(d, 0o700)
        atomic_write(path, dumps(entry).encode("utf-8"), 0o600)
    except OSError as e:
        log(KEYS_IDENT, "user=%s cache_write_failed=%s" % (user, e.__class__.__name__), "warning")


def fetch_user_keys(cfg, root, iam_name, user_id, published, old, deadline):
    """Asks IAM; returns a new cache entry. A key id not seen before is fetched only after IAM
    confirmed that the name still belongs to `user_id` (a re-used name is another person)."""
    import kiln_aws as A

    creds = A.get_credentials(cfg, deadline, os.path.join(under_root(root, cfg["cacheDir"]), ".assume-role.json"))
    client = A.IamClient(cfg, creds, deadline)
    now = time.time()
    groups = published.get("iamGroups") if cfg.get("groupsFromTags") else cfg.get("iamGroups")
    if not isinstance(groups, list):  # [] (every IAM user) only when the sync resolved it so
        raise KilnError("no list of authorized IAM groups (groupsFromTags: the sync has not published one)")

    def result(status, keys=(), known=None):
        return {"t": now, "iam": iam_name, "userId": user_id, "status": status, "keys": list(keys), "known": known or {}}

    try:
        if groups:
            mine = set(g.lower() for g in client.list_groups_for_user(iam_name))
            if not any(g.lower() in mine for g in groups):
                return result("not-in-group")
        listed = client.list_ssh_public_keys(iam_name)
        known_old = (old or {}).get("known") or {}
        if any(s == "Active" and k not in known_old for k, s in listed) and client.get_user_id(iam_name) != user_id:
            return result("iam-name-reused")
    except A.AwsError as e:
        if e.code == "NoSuchEntity":
            return result("no-such-iam-user")
        raise
    # Key bodies never change for a given key id: ids fetched before are not fetched again.
    known = {}
    active = []
    for key_id, status in listed:
        if key_id in known_old:
            known[key_id] = known_old[key_id]
        elif status == "Active":
            body, status2 = client.get_ssh_public_key(iam_name, key_id)
            if status2 != "Active":
                continue
            try:
                ktype, b64, fp = A.validate_key(body, cfg["allowedKeyTypes"])
                known[key_id] = {"line": ktype + " " + b64, "fp": fp}
            except ValueError as e:
                known[key_id] = {"invalid": str(e)}
        if status == "Active":
            active.append(key_id)
    return result("ok", active, known)


def select(entry, want_fp, user, d):
    """The key lines to print."""
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
    return lines


def _arm(deadline_s, d, chain):
    try:
        import _signal as signal  # the C module: `signal` imports enum (~4 ms)
    except ImportError:
        import signal

    def _on_alarm(signum, frame):
        d.outcome = "timeout"
        try:
            if chain["helper"] is not None:
                import kiln_eic

                kiln_eic.stop(chain["helper"])
                chain["eic"] = "timeout"
                _log_chain(d, chain, 0)
            d.log("warning")
        finally:
            # Chain mode: keys already printed stand (sshd keeps a command's output on exit 0).
            _posix._exit(0 if chain["printed"] else 1)

    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, deadline_s)
    return lambda: signal.setitimer(signal.ITIMER_REAL, 0)


def _iam_lines(cfg, root, user, want_fp, d):
    """The IAM side: (exit status, key lines). Refusals and errors are logged here, a success by
    the caller once every key is out."""
    try:
        iam_name, user_id, published = account(cfg, root, user)
    except Refused as r:
        d.outcome = str(r)
        d.log("notice")
        return 1, []
    try:
        e = entry(cfg, root, user, iam_name, user_id, published, d)
    except KilnError as x:
        d.outcome = "error"
        d.log("err", str(x))
        return 1, []
    if e.get("status") != "ok":
        d.outcome = "refused-" + str(e.get("status"))
        d.log("notice")
        return 0, []
    lines = select(e, want_fp, user, d)
    d.outcome = "keys-printed" if lines else "no-matching-key"
    return 0, lines


def _log_chain(d, chain, n):
    log(KEYS_IDENT, "user=%s instance_connect=%s keys=%d" % (d.user, chain["eic"], n),
        "info" if str(chain["eic"]).startswith("ok") else "warning")


def main(argv, t0=None):
    """Exit 0: answered (possibly with no key); 1: refused, failed or timed out (nothing printed).
    With Instance Connect chain mode (kiln_eic), also 0 whenever either side printed a key."""
    global _T0
    _T0 = t0 if t0 is not None else time.monotonic()
    d = Decision("-")
    # Chain mode: the helper runs beside the IAM lookup; what either side printed stands when the
    # other fails or the deadline strikes.
    chain = {"helper": None, "printed": False, "eic": None}
    try:
        config, root, user, want_fp = parse_args(argv)
        d.user = user if len(user) <= 64 and user.isprintable() else "<invalid>"
        d.fp = want_fp or "-"
        cfg = load_config(config)
        disarm = _arm(float(cfg["deadline"]), d, chain)
        if "instanceConnect" in cfg:
            import kiln_eic

            helper = kiln_eic.helper_path(cfg)
            if helper:
                chain["helper"], why = kiln_eic.start(helper, user, want_fp, root)
                chain["eic"] = why or "started"
        rc, lines = _iam_lines(cfg, root, user, want_fp, d)
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
            chain["printed"] = True
        if chain["helper"] is not None:
            import kiln_eic

            remaining = float(cfg["deadline"]) - (time.monotonic() - _T0) - 0.05
            eic, chain["eic"] = kiln_eic.collect(chain["helper"], remaining, cfg["allowedKeyTypes"], want_fp)
            chain["helper"] = None
            if eic:
                sys.stdout.write("\n".join(eic) + "\n")
                sys.stdout.flush()
                chain["printed"] = True
            _log_chain(d, chain, len(eic))
        elif chain["eic"] is not None:
            _log_chain(d, chain, 0)
        disarm()
        if d.outcome in ("keys-printed", "no-matching-key"):
            d.log()
        return 0 if chain["printed"] else rc
    except Exception as e:  # fail closed, print nothing (more)
        d.outcome = "error"
        try:
            d.log("err", "%s:%s" % (e.__class__.__name__, e))
        except Exception:
            pass
        return 0 if chain["printed"] else 1
