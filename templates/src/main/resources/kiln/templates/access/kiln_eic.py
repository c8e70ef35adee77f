"""EC2 Instance Connect, chained after the IAM keys (<access><instanceConnect>chain</instanceConnect>).

sshd runs one AuthorizedKeysCommand, and throws away everything a command printed when it exits
non-zero. With chain mode Kiln's key command is that command for both: it starts the recipe's
Instance Connect helper (access.json "instanceConnect": {"mode": "chain", "helper": PATH}) with
%u %f before it asks IAM, lets both run within the one deadline, prints the IAM keys and then the
helper's, and exits 0 when it printed any key. Either side failing, hanging or printing junk never
suppresses the other's keys: a helper that is not root's, exits non-zero, outlives the deadline or
prints something that is not a plain allowed public key line contributes nothing (or only its valid
lines), and is killed with its process group.

The real helper (eic_run_authorized_keys) answers only on EC2: it reads the keys pushed with
ec2-instance-connect:SendSSHPublicKey from the instance metadata and checks their signature.
"""
import os
import stat

MAX_OUTPUT = 65536
MAX_KEYS = 100
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def helper_path(cfg):
    """The helper when chain mode is on, else None."""
    ic = cfg.get("instanceConnect")
    if isinstance(ic, dict) and ic.get("mode") == "chain" and isinstance(ic.get("helper"), str):
        return ic["helper"]
    return None


def unsafe(path, root="/"):
    """Why `path` may not run as a key source, or None: it must be an absolute path to a regular,
    executable file owned by root and writable by nobody else (as sshd demands of its command)."""
    if not path.startswith("/") or "\0" in path:
        return "not-absolute"
    full = os.path.join(root, path.lstrip("/"))
    try:
        st = os.stat(full)
    except OSError:
        return "missing"
    if not stat.S_ISREG(st.st_mode):
        return "not-a-file"
    if st.st_uid != 0 and root == "/":
        return "not-owned-by-root"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable-by-others"
    if not st.st_mode & stat.S_IXUSR:
        return "not-executable"
    return None


def start(path, user, fingerprint, root="/"):
    """Starts the helper with `user` [`fingerprint`]; returns (process, None) or (None, reason)."""
    import subprocess

    why = unsafe(path, root)
    if why:
        return None, why
    argv = [os.path.join(root, path.lstrip("/")), user] + ([fingerprint] if fingerprint else [])
    try:
        p = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
            env={"PATH": PATH, "LC_ALL": "C"},
        )
    except OSError as e:
        return None, "cannot-start-%s" % e.__class__.__name__
    return p, None


def stop(p):
    """Kills the helper and everything it started (its own session)."""
    import signal

    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        p.wait(timeout=1)
    except Exception:
        pass


def collect(p, timeout, allowed_types, fingerprint):
    """Waits up to `timeout` s; returns (lines, outcome). Only when the helper exited 0 in time are
    its lines used, and of those only plain public key lines of an allowed type (matching
    `fingerprint` when sshd gave one), at most MAX_KEYS."""
    import subprocess

    from kiln_aws import validate_key

    if p.poll() is not None:
        # Done already: its output waits in the pipe, reading it takes no time even when the IAM
        # side used up the deadline.
        timeout = max(timeout, 0.02)
    try:
        out, _ = p.communicate(timeout=max(0.0, timeout))
    except subprocess.TimeoutExpired:
        stop(p)
        return [], "timeout"
    except Exception as e:
        stop(p)
        return [], "error-%s" % e.__class__.__name__
    if p.returncode != 0:
        return [], "exit-%d" % p.returncode
    if len(out) > MAX_OUTPUT:
        return [], "too-much-output"
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError:
        return [], "not-utf8"
    lines, junk = [], 0
    for raw in text.split("\n"):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            ktype, b64, fp = validate_key(raw, allowed_types)
        except ValueError:
            junk += 1
            continue
        if fingerprint and fp != fingerprint:
            continue
        if len(lines) < MAX_KEYS:
            lines.append(ktype + " " + b64)
    return lines, ("ok" if not junk else "ok-dropped-%d-lines" % junk)
