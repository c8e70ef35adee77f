"""Kiln user sync: the local operations of a run (commands, state, sudoers, the file published for
the key command, deletions), the base of kiln_sync.Sync.

Used by the sync only (see kiln_iam for the module map).
"""
import os
import time

import kiln_homes as H
import kiln_iam as K

IDENT = "kiln-sync-users"
STATE_VERSION = 2


def log(msg, level="info"):
    K.log(IDENT, msg, level)


class SyncOps(object):
    def __init__(self, cfg, root, dry_run=False, visudo=None, client=None):
        self.cfg = cfg
        self.root = root or "/"
        self.chrooted = self.root not in ("/", "")
        self.dry_run = dry_run
        self.visudo = visudo
        self.client = client
        self.failures = 0
        self.actions = []
        self.state_dir = K.under_root(self.root, cfg["stateDir"])
        self.sudoers_dir = K.under_root(self.root, "/etc/sudoers.d")
        self.archive_timeout = None  # kiln_homes.ARCHIVE_TIMEOUT

    # ---------------------------------------------------------------------------------- commands
    def run(self, argv, ok_codes=(0,)):
        import subprocess

        cmd = list(argv)
        if self.chrooted:
            cmd[1:1] = ["--root", self.root]
        self.actions.append(" ".join(cmd))
        if self.dry_run:
            return True
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            log("command=%s outcome=failed error=%s" % (argv[0], e.__class__.__name__), "err")
            self.failures += 1
            return False
        if r.returncode not in ok_codes:
            err = r.stderr.decode("utf-8", "replace").strip().replace("\n", " | ")[:300]
            log("command=%s outcome=failed rc=%d stderr=%s" % (" ".join(argv[:2] + argv[-1:]), r.returncode, err), "err")
            self.failures += 1
            return False
        return True

    def run_host(self, argv, ok_codes=(0,)):
        """Commands that act on the running system (sessions): skipped under --root."""
        import subprocess

        if self.chrooted or self.dry_run:
            self.actions.append("(skipped under --root) " + " ".join(argv))
            return True
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            return r.returncode in ok_codes
        except (OSError, subprocess.TimeoutExpired):
            return False

    # ---------------------------------------------------------------------------------- state
    def load_state(self):
        """{"version": 2, "accounts": {UserId: record}, "retiredUids": {uid: UserId}}. A record is the
        sync's proof that it created an account: {"local", "uid", "iamName", "absentRuns",
        "lockedBySync", ...}. Version 1 (records keyed by local name) is converted; a version-1
        record without a UserId is dropped (its account is then no longer the sync's)."""
        import json

        p = os.path.join(self.state_dir, "sync-state.json")
        try:
            with open(p, "rb") as f:
                s = json.loads(f.read().decode("utf-8"))
        except FileNotFoundError:
            return {"version": STATE_VERSION, "accounts": {}, "retiredUids": {}}
        except (OSError, ValueError) as e:
            raise K.KilnError("cannot read state %s: %s" % (p, e))
        if isinstance(s, dict) and s.get("version") == 1 and isinstance(s.get("users"), dict):
            accounts = {}
            for local, r in s["users"].items():
                if isinstance(r, dict) and r.get("userId") and isinstance(r.get("uid"), int):
                    accounts[r["userId"]] = {"local": local, "uid": r["uid"], "iamName": r.get("iamName"),
                                             "absentRuns": int(r.get("absentRuns", 0)),
                                             "lockedBySync": bool(r.get("locked"))}
            return {"version": STATE_VERSION, "accounts": accounts, "retiredUids": {}}
        if (isinstance(s, dict) and s.get("version") == STATE_VERSION and isinstance(s.get("accounts"), dict)
                and isinstance(s.get("retiredUids"), dict)):
            return s
        raise K.KilnError("state file %s has an unknown format" % p)

    def save_state(self, state):
        if self.dry_run:
            return
        K.atomic_write(os.path.join(self.state_dir, "sync-state.json"), K.dumps(state).encode("utf-8"), 0o600)

    def publish(self, groups, sudo_groups, active):
        """cacheDir/.sync.json for the key command (kiln_iam.PUBLISHED), root's, mode 0644:
        `active` {local: {"userId", "uid"}} lists the accounts it may answer for."""
        if self.dry_run:
            return
        self.ensure_cache_dir()
        path = os.path.join(K.under_root(self.root, self.cfg["cacheDir"]), K.PUBLISHED)
        try:
            K.atomic_write(path, K.dumps({"iamGroups": groups, "sudoGroups": sudo_groups, "accounts": active})
                           .encode("utf-8"), 0o644)
        except OSError as e:  # the key command then refuses everyone: fails closed
            log("published=%s outcome=failed error=%s" % (path, e), "err")
            self.failures += 1

    def forget_cache(self, local):
        try:
            os.unlink(os.path.join(K.under_root(self.root, self.cfg["cacheDir"]), local + ".json"))
        except OSError:
            pass

    # ---------------------------------------------------------------------------------- sudoers
    def sudoers_path(self, local):
        # sudo's #includedir skips names containing "."; local names never contain "%".
        return os.path.join(self.sudoers_dir, "kiln-user-" + local.replace(".", "%"))

    def write_sudoers(self, local):
        import shutil
        import subprocess

        path = self.sudoers_path(local)
        content = ("# Managed by Kiln sync-users; removed with the user.\n%s ALL=(ALL:ALL) NOPASSWD: ALL\n" % local).encode()
        try:
            with open(path, "rb") as f:
                if f.read() == content and (os.stat(path).st_mode & 0o777) == 0o440:
                    return
        except OSError:
            pass
        self.actions.append("sudoers %s" % local)
        if self.dry_run:
            return
        visudo = self.visudo or shutil.which("visudo") or "/usr/sbin/visudo"
        os.makedirs(self.sudoers_dir, 0o750, exist_ok=True)
        tmp = os.path.join(self.sudoers_dir, ".kiln-user-%s.tmp" % local.replace(".", "%"))
        try:
            K.atomic_write(tmp, content, 0o440)
            r = subprocess.run([visudo, "-cf", tmp], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
            if r.returncode != 0:
                raise OSError("visudo -cf rejected the file")
            os.rename(tmp, path)
        except (OSError, subprocess.TimeoutExpired) as e:
            log("user=%s action=sudoers outcome=failed error=%s" % (local, e), "err")
            self.failures += 1
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def remove_sudoers(self, local):
        path = self.sudoers_path(local)
        if os.path.lexists(path):
            self.actions.append("rm sudoers %s" % local)
            if not self.dry_run:
                try:
                    os.unlink(path)
                    log("user=%s action=sudo-revoked" % local)
                except OSError as e:
                    log("user=%s action=sudo-revoke outcome=failed error=%s" % (local, e), "err")
                    self.failures += 1

    def shell(self):
        for s in ("/bin/bash", "/bin/sh"):
            if os.path.exists(K.under_root(self.root, s)):
                return s
        return "/bin/sh"

    def nologin(self):
        for s in ("/usr/sbin/nologin", "/sbin/nologin"):
            if os.path.exists(K.under_root(self.root, s)):
                return s
        return "/usr/sbin/nologin"

    def flush_name_caches(self):
        """As useradd does: nscd and sssd must not answer from stale caches (host only)."""
        import shutil

        if self.chrooted:
            return
        if shutil.which("nscd"):
            for db in ("passwd", "group"):
                self.run_host(["nscd", "-i", db])
        if shutil.which("sss_cache"):
            self.run_host(["sss_cache", "-UG"])

    def check_account_files(self):
        """pwck -r -q and grpck -r on the result; a complaint is logged (the files are already in
        place: the next run does not depend on it)."""
        for argv in (["pwck", "-r", "-q"], ["grpck", "-r"]):
            if self.chrooted:
                argv += ["-R", self.root]
            import subprocess

            try:
                r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if r.returncode != 0:
                out = r.stdout.decode("utf-8", "replace").strip().replace("\n", " | ")[:300]
                log("check=%s outcome=complaint rc=%d output=%s" % (argv[0], r.returncode, out), "warning")

    def kill_sessions(self, uid):
        """Ends every session and process of an account the sync owns, by UID (never by a name
        another account could have, never a UID outside uidRange)."""
        lo, hi = self.cfg["uidRange"]
        if not (lo <= uid <= hi and uid >= 1000):
            raise K.KilnError("refusing to kill processes of UID %d outside uidRange" % uid)
        self.run_host(["loginctl", "terminate-user", str(uid)], ok_codes=(0, 1))
        self.run_host(["pkill", "-KILL", "-U", str(uid)], ok_codes=(0, 1))
        self.run_host(["pkill", "-KILL", "-u", str(uid)], ok_codes=(0, 1))

    def delete_user(self, local, pw, rec, own_home):
        """Archives the home (keepHome) and deletes the account. False, with rec["deleteError"]
        set and logged, when the archive or userdel failed: the account stays locked and the next
        run tries again. `own_home`: the home field is still the one the sync set (home base +
        name); otherwise the directory is neither archived nor removed (it is not the sync's)."""
        home = K.under_root(self.root, pw["home"])
        if not own_home:
            log("user=%s action=delete home=%s outcome=home-left-in-place reason=home-changed-locally" % (
                local, pw["home"]), "warning")
        elif self.cfg.get("keepHome", True) and os.path.isdir(home) and not os.path.islink(home):
            archive_dir = os.path.join(self.state_dir, "archive")
            name = "%s-%d-%s.tar.gz" % (local, pw["uid"], time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
            self.actions.append("archive %s -> %s" % (home, os.path.join(archive_dir, name)))
            if not self.dry_run:
                H.remove_stale_parts(archive_dir)
                try:
                    target = H.archive_home(home, archive_dir, name, timeout=self.archive_timeout)
                except OSError as e:
                    rec["deleteError"] = "archive: %s" % e
                    log("user=%s uid=%d action=archive outcome=failed reason=%s (account kept, locked; retried "
                        "next run)" % (local, pw["uid"], str(e).replace(" ", "_")), "err")
                    self.failures += 1
                    return False
                log("user=%s action=home-archived archive=%s" % (local, target))
        self.kill_sessions(pw["uid"])
        if not self.run(["userdel", "-r", local] if own_home else ["userdel", local], ok_codes=(0, 12)):
            rec["deleteError"] = "userdel failed"
            return False
        self.remove_sudoers(local)
        self.forget_cache(local)
        log("user=%s uid=%d action=deleted" % (local, pw["uid"]), "notice")
        return True

    def ensure_cache_dir(self):
        """The key command's cache directory: owned by kiln-keys, mode 0700."""
        d = K.under_root(self.root, self.cfg["cacheDir"])
        try:
            os.makedirs(d, 0o700, exist_ok=True)
            pw = K.read_passwd(self.root).get("kiln-keys")
            if pw and os.geteuid() == 0:
                st = os.stat(d)
                if st.st_uid != pw["uid"]:
                    os.chown(d, pw["uid"], pw["gid"])
                os.chmod(d, 0o700)
        except OSError as e:
            log("cache_dir=%s outcome=failed error=%s" % (d, e), "warning")
