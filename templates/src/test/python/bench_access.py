"""Benchmarks of Kiln's IAM access programs against moto (run as root; see docs/benchmarks-access.md).

    python3 templates/src/test/python/bench_access.py [--logins 30] [--runs 50] [--users 1000] [--quick]
                                                      [--previous REV]

Prints:
  1. key command per login, p50/p95, cold (no cache) and cached, against moto on loopback, side by
     side with a previous version's key command (--previous REV, from git), interleaved;
  2. `ssh user@host true` through Kiln's key command vs a static authorized_keys file, side by side
     (two sshd in one network namespace, same user, same key), and the ratio of the p50s;
  3. sync of N IAM users in 10 groups: wall time and IAM calls (accounts created in a throwaway
     root with `sync-users --root`, so no host users), first run and steady-state run, then
     `pwck -r -q` and `grpck -r` on the result;
  4. 1,000 key-command calls with random unknown names: IAM calls made.
"""
import argparse
import concurrent.futures
import json
import os
import pwd
import random
import resource
import secrets
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kilntest as T  # noqa: E402
from kilntest import K  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def ms(x):
    return "%.1f ms" % (x * 1000)


def sh(*argv, **kw):
    return subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


ACCESS_IN_GIT = "templates/src/main/resources/kiln/templates/access"


def previous_version(rev):
    """The key command of git revision `rev` in a temporary directory (its programs and modules,
    byte-compiled as provision does); None when git or the revision is unavailable."""
    top = sh("git", "-C", HERE, "rev-parse", "--show-toplevel").stdout.decode().strip()
    r = sh("git", "-C", top, "ls-tree", "--name-only", rev, ACCESS_IN_GIT + "/")
    if r.returncode != 0 or not top:
        return None
    d = tempfile.mkdtemp(prefix="kiln-prev-")
    os.chmod(d, 0o755)
    for path in r.stdout.decode().split():
        name = os.path.basename(path)
        if name == "authorized-keys" or name.endswith(".py"):
            with open(os.path.join(d, name), "wb") as f:
                f.write(sh("git", "-C", top, "show", "%s:%s" % (rev, path)).stdout)
    os.chmod(os.path.join(d, "authorized-keys"), 0o755)
    return d


def bench_key_command(moto, runs, previous=None):
    """Cold and cached key-command calls of this version and (when given) a previous version's
    key command, interleaved run by run so both see the same machine load. Returns {label:
    (cold, cached, cold_cpu, cached_cpu)}."""
    iam = T.Iam(moto.url)
    moto.reset()
    iam.user_in_group("alice", "ssh-users")
    user_id = iam.GetUser(UserName="alice").find(".//UserId").text
    keydir = tempfile.mkdtemp()
    variants = {"this version": T.KEY_COMMAND}
    if previous:
        variants["previous (%s)" % previous[0]] = os.path.join(previous[1], "authorized-keys")
    roots = dict((label, T.make_root()) for label in variants)
    try:
        _, pub, fp = T.keypair(keydir, "k")
        iam.upload("alice", pub)
        for root in roots.values():
            T.add_local_user(root, "alice", 200500, ("kiln-iam",))
            T.publish(root, {"alice": (user_id, 200500)})  # what the sync publishes (ignored by old versions)
        conf = os.path.join(keydir, "access.json")
        T.write_config(conf, iamGroups=["ssh-users"], keyCacheTtl=3600)
        env = T.iam_env(moto.url)
        env.pop("KILN_LOG_STDERR")
        out = dict((label, ([], [], [], [])) for label in variants)

        def timed(program, root):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.monotonic()
            r = subprocess.run([T.SYSTEM_PYTHON, "-IS", program, "--config", conf, "--root", root, "alice", fp],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            dt = time.monotonic() - t
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            assert r.returncode == 0 and r.stdout, r.stderr
            return dt, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

        for label, program in variants.items():
            timed(program, roots[label])  # byte-compiles the modules once, as provision does on an image
        for i in range(runs):
            for label, program in variants.items():
                cache = os.path.join(roots[label], "var/cache/kiln/keys/alice.json")
                if os.path.exists(cache):
                    os.unlink(cache)
                cold, cached, cold_cpu, cached_cpu = out[label]
                dt, cpu = timed(program, roots[label])
                cold.append(dt)
                cold_cpu.append(cpu)
                dt, cpu = timed(program, roots[label])
                cached.append(dt)
                cached_cpu.append(cpu)
        return out
    finally:
        shutil.rmtree(keydir, ignore_errors=True)
        for root in roots.values():
            shutil.rmtree(root, ignore_errors=True)


def bench_ssh(logins):
    """sshd in one namespace: :2222 via Kiln's key command, :2223 with a static file, and two floors
    for any AuthorizedKeysCommand: :2224 runs `/bin/sh` + `cat` of the static file, :2225 a two-line
    `python3 -IS` program printing it (same user, same key). Returns {label: [seconds]}."""
    tag = secrets.token_hex(3)
    ns = "kiln-t-" + tag
    work = "/run/kilnt-" + tag
    marker = "kilntm" + tag
    user = "kilnt" + tag + "a"
    procs, created = [], False
    try:
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        os.makedirs(work, 0o755)
        libexec = os.path.join(work, "libexec")
        os.makedirs(libexec, 0o755)
        for f, mode in T.PROGRAM_FILES:
            shutil.copy(os.path.join(T.ACCESS, f), os.path.join(libexec, f))
            os.chmod(os.path.join(libexec, f), mode)
        # what provision does on an image: byte-compile the modules so the key command loads .pyc
        sh("/usr/bin/python3", "-m", "py_compile", *[os.path.join(libexec, f) for f, _ in T.PROGRAM_FILES
                                                      if f.endswith(".py")])
        nobody = pwd.getpwnam("nobody")
        cache = os.path.join(work, "cache")
        os.makedirs(cache, 0o700)
        os.chown(cache, nobody.pw_uid, nobody.pw_gid)
        endpoint = "http://127.0.0.1:5000"
        config = os.path.join(work, "access.json")
        T.write_config(config, iamEndpoint=endpoint, metadataEndpoint="http://127.0.0.1:8080", iamGroups=["g"],
                       sudoGroups=[], markerGroup=marker, cacheDir=cache, keyCacheTtl=3600)
        os.chmod(config, 0o644)
        moto = T.Moto(netns=ns, port=5000).start()
        procs.append(moto)
        imds = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "fake_imds.py"), "8080"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        procs.append(imds)
        imds.stdout.readline()
        helper = lambda arg: sh("ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "iam_helper.py"),  # noqa
                                endpoint, arg, cwd=HERE, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        helper("--wait")
        sh("groupadd", marker)
        created = True
        uid = 200000 + int(tag, 16) % 90000
        sh("useradd", "-M", "-p", "*", "-d", work, "-s", "/bin/sh", "-u", str(uid), "-U", "-G", marker, user)
        keydir = os.path.join(work, "keys")
        os.makedirs(keydir, 0o700)
        key, pub, fp = T.keypair(keydir, "id")
        r = helper(json.dumps([["CreateGroup", {"GroupName": "g"}], ["CreateUser", {"UserName": user}],
                               ["AddUserToGroup", {"UserName": user, "GroupName": "g"}],
                               ["UploadSSHPublicKey", {"UserName": user, "SSHPublicKeyBody": pub}]]))
        user_id = json.loads(r.stdout)[0]
        T.publish("/", {user: (user_id, uid)}, cache=cache.lstrip("/"))  # as the sync would
        os.chown(cache, nobody.pw_uid, nobody.pw_gid)
        static = os.path.join(work, "static")
        os.makedirs(static, 0o755)
        with open(os.path.join(static, user), "w") as f:
            f.write(pub)
        floors = {"sh": "#!/bin/sh\nexec cat %s/\"$1\"\n" % static,
                  "py": "#!/usr/bin/python3 -IS\nimport sys\nsys.stdout.write(open(%r + sys.argv[1]).read())\n" % (
                      static + "/")}
        for name, text in floors.items():
            with open(os.path.join(libexec, "floor-" + name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(libexec, "floor-" + name), 0o755)
        hostkey = os.path.join(work, "hostkey")
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey)
        # sshd's standard privilege-separation directory; created if missing, deliberately left in place
        os.makedirs("/run/sshd", 0o755, exist_ok=True)
        common = ["ListenAddress 127.0.0.1", "HostKey " + hostkey, "PasswordAuthentication no",
                  "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "LogLevel ERROR"]
        confs = {
            2222: common + ["Port 2222", "PidFile %s/a.pid" % work, "AuthorizedKeysFile none",
                            "AuthorizedKeysCommand %s/authorized-keys --config %s %%u %%f" % (libexec, config),
                            "AuthorizedKeysCommandUser nobody"],
            2223: common + ["Port 2223", "PidFile %s/b.pid" % work, "AuthorizedKeysFile %s/%%u" % static],
            2224: common + ["Port 2224", "PidFile %s/c.pid" % work, "AuthorizedKeysFile none",
                            "AuthorizedKeysCommand %s/floor-sh %%u %%f" % libexec, "AuthorizedKeysCommandUser nobody"],
            2225: common + ["Port 2225", "PidFile %s/d.pid" % work, "AuthorizedKeysFile none",
                            "AuthorizedKeysCommand %s/floor-py %%u %%f" % libexec, "AuthorizedKeysCommandUser nobody"],
        }
        for port, lines in confs.items():
            path = os.path.join(work, "sshd_%d" % port)
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            procs.append(subprocess.Popen(["ip", "netns", "exec", ns, "/usr/sbin/sshd", "-D", "-f", path,
                                           "-E", path + ".log"]))
        time.sleep(0.5)

        def login(port):
            t = time.monotonic()
            r = sh("ip", "netns", "exec", ns, "ssh", "-i", key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                   "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                   "-p", str(port), "%s@127.0.0.1" % user, "true")
            assert r.returncode == 0, r.stderr
            return time.monotonic() - t

        ports = {"kiln": 2222, "static": 2223, "sh": 2224, "py": 2225}
        for port in ports.values():
            login(port)  # warm up: the key cache is filled
        times = dict((k, []) for k in ports)
        for _ in range(logins):  # interleaved, so all see the same machine load
            for label, port in ports.items():
                times[label].append(login(port))
        return times
    finally:
        for p in reversed(procs):
            try:
                p.stop() if isinstance(p, T.Moto) else (p.terminate(), p.wait(5))
            except Exception:
                pass
        if created:
            sh("userdel", user)
            sh("groupdel", user)
            sh("groupdel", marker)
        sh("ip", "netns", "del", ns)
        shutil.rmtree(work, ignore_errors=True)


def bench_sync(moto, n_users, groups=10):
    moto.reset()
    iam = T.Iam(moto.url)
    t = time.monotonic()
    for g in range(groups):
        iam.CreateGroup(GroupName="team%02d" % g)
    for i in range(n_users):
        name = "user%04d@example.com" % i if i % 3 else "User.%04d" % i
        iam.CreateUser(UserName=name)
        iam.AddUserToGroup(UserName=name, GroupName="team%02d" % (i % groups))
    setup = time.monotonic() - t
    proxy = T.FaultProxy(moto.url).start()
    root = T.make_root()
    confdir = tempfile.mkdtemp()
    try:
        conf = os.path.join(confdir, "access.json")
        T.write_config(conf, iamGroups=["team%02d" % g for g in range(groups)], sudoGroups=["team00"])
        visudo = T.fake_visudo(confdir)
        env = T.iam_env(proxy.url)
        env.pop("KILN_LOG_STDERR")
        results = []
        for label in ("first run (creates %d users)" % n_users, "steady-state run (no change)"):
            proxy.calls.clear()
            t = time.monotonic()
            rc, out, err = T.run_sync(conf, root, env, visudo, timeout=3600)
            dt = time.monotonic() - t
            assert rc == 0, err
            results.append((label, dt, dict(proxy.calls)))
        created = sum(1 for u in K.read_passwd(root).values() if u["uid"] >= 200000)
        checks = []
        for argv in (["pwck", "-r", "-q", "-R", root], ["grpck", "-r", "-R", root]):
            r = sh(*argv)
            checks.append("%s rc=%d%s" % (argv[0], r.returncode, (" " + (r.stdout + r.stderr).decode()[:200]) if r.returncode else ""))
        # IAM part alone: the fetch the sync does before touching anything
        cfg = K.load_config(conf, env)
        c = K.IamClient(cfg, K.Credentials("t", "t"), K.Deadline(300))
        t = time.monotonic()
        for g in range(groups):
            c.get_group_members("team%02d" % g)
        fetch = time.monotonic() - t
        return setup, results, created, fetch, checks
    finally:
        proxy.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(confdir, ignore_errors=True)


def bench_unknown_names(moto, attempts):
    moto.reset()
    proxy = T.FaultProxy(moto.url).start()
    root = T.make_root()
    confdir = tempfile.mkdtemp()
    try:
        conf = os.path.join(confdir, "access.json")
        T.write_config(conf)
        T.add_local_user(root, "alice", 200500, ("kiln-iam",))
        T.publish(root, {"alice": ("AIDAALICE", 200500)})
        env = T.iam_env(proxy.url)
        env.pop("KILN_LOG_STDERR")
        rnd = random.Random(42)
        names = ["".join(rnd.choice(string.ascii_lowercase + string.digits) for _ in range(rnd.randint(3, 16)))
                 for _ in range(attempts)]
        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            outs = list(ex.map(lambda n: T.run_key_command(conf, root, n, None, env), names))
        dt = time.monotonic() - t
        assert all(o[1] == "" for o in outs)
        return proxy.total(), dt
    finally:
        proxy.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(confdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--logins", type=int, default=30)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--attempts", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    ap.add_argument("--previous", default="9fb87ea",
                    help="git revision whose key command is measured side by side (default: the last one "
                         "before the split of kiln_iam.py); '' to skip")
    a = ap.parse_args()
    if a.quick:
        a.runs, a.logins, a.users, a.attempts = 5, 3, 50, 50
    if os.geteuid() != 0:
        sys.exit("run as root (network namespace, sshd, useradd --root)")
    print("Kiln access benchmarks, %s, python %s (/usr/bin/python3 for the programs), %s" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), sys.version.split()[0], os.uname().release))
    print("machine: %d CPUs, load average at start %.2f %.2f %.2f" % ((os.cpu_count() or 0,) + os.getloadavg()))
    print("command: %s" % " ".join([os.path.basename(sys.executable)] + sys.argv))
    moto = T.Moto().start()
    try:
        prev_dir = previous_version(a.previous) if a.previous else None
        try:
            results = bench_key_command(moto, a.runs, (a.previous, prev_dir) if prev_dir else None)
        finally:
            if prev_dir:
                shutil.rmtree(prev_dir, ignore_errors=True)
        print("\n1. key command per login (subprocess wall time, %d runs each, moto on loopback; versions "
              "interleaved run by run)" % a.runs)
        print("   cold = no cache (this version: ListGroupsForUser+ListSSHPublicKeys+GetUser+GetSSHPublicKey; "
              "previous: without GetUser); cached = within keyCacheTtl, no IAM call")
        for label, (cold, cached, cold_cpu, cached_cpu) in results.items():
            print("   %-22s cold p50 %s p95 %s | cached p50 %s p95 %s | CPU p50 cold %s cached %s" % (
                label + ":", ms(pct(cold, 50)), ms(pct(cold, 95)), ms(pct(cached, 50)), ms(pct(cached, 95)),
                ms(pct(cold_cpu, 50)), ms(pct(cached_cpu, 50))))
        bare = []
        for _ in range(a.runs):
            t = time.monotonic()
            sh("/usr/bin/python3", "-IS", "-c", "pass")
            bare.append(time.monotonic() - t)
        print("   reference: bare `/usr/bin/python3 -IS -c pass`: p50 %s" % ms(pct(bare, 50)))
        times = bench_ssh(a.logins)
        kiln, static_t = times["kiln"], times["static"]
        r = statistics.median(kiln) / statistics.median(static_t)
        print("\n2. ssh user@127.0.0.1 true, %d logins each, interleaved, same user and key" % a.logins)
        print("   via Kiln key command (cached): p50 %s  p95 %s" % (ms(pct(kiln, 50)), ms(pct(kiln, 95))))
        print("   static authorized_keys file:   p50 %s  p95 %s" % (ms(pct(static_t, 50)), ms(pct(static_t, 95))))
        print("   ratio of p50s: %.3f (target <= 1.10)" % r)
        for label, text in (("sh", "/bin/sh + cat"), ("py", "2-line python3 -IS")):
            print("   floor, AuthorizedKeysCommand = %-19s p50 %s, ratio %.3f" % (
                text + ":", ms(pct(times[label], 50)), statistics.median(times[label]) / statistics.median(static_t)))
        setup, results, created, fetch, checks = bench_sync(moto, a.users)
        print("\n3. sync of %d IAM users in 10 groups (throwaway root, sync-users --root; moto setup took %.1f s)" % (
            a.users, setup))
        for label, dt, calls in results:
            print("   %-32s wall %.2f s, IAM calls %d (%s)" % (label, dt, sum(calls.values()),
                  ", ".join("%s %d" % kv for kv in sorted(calls.items()))))
        print("   local accounts created: %d; IAM fetch alone (10 GetGroup): %.2f s" % (created, fetch))
        print("   account files afterwards: %s" % "; ".join(checks))
        calls, dt = bench_unknown_names(moto, a.attempts)
        print("\n4. %d key-command calls with random unknown names: %d IAM calls (target <= 50), %.1f s total" % (
            a.attempts, calls, dt))
        print("\nload average at the end %.2f %.2f %.2f" % os.getloadavg())
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
