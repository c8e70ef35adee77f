package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.render.AtomicFile;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the host's Lynis (Debian's package; never baked into an image) inside a sandbox root: a
 * running candidate (its mount, PID, UTS and network namespaces, so Lynis sees its sshd process and
 * runs its {@code sshd -T}) or the recipe's unhardened base booted with its stock sshd in a
 * throwaway namespace. Lynis' files are copied to a tmpfs mounted on the root's {@code /mnt} in a
 * private mount namespace: the candidate's disk and its own mounts are not changed. Only the SSH
 * test group runs (a full audit takes many minutes on a shared machine).
 */
public final class LynisRun {
  /** The line before Lynis' report file (report.dat) in the output; Lynis' own output follows. */
  public static final String REPORT_MARK = "=== kiln-lynis-report ===";

  public static final String OUTPUT_MARK = "=== kiln-lynis-output ===";

  /**
   * Lynis' profile: the settings of Debian's default.prf that the SSH test group reads. The rest of
   * default.prf (the sysctl {@code config-data} lines and plugin switches) serves other groups, and
   * Lynis parses a profile with several process starts per line: with default.prf given as {@code
   * --profile} and found again in the working directory, parsing alone took 43 s of a 110 s audit
   * here; with this profile the audit took 42 s, with the same findings and index. {@code --quiet}
   * drops the console summary, which re-reads the log with a dozen process starts per finding: 38
   * to 40 s instead of 79 to 84 s at load 9, same report (the report file is what Kiln reads).
   */
  static final String PROFILE =
      """
      error-on-warnings=no
      language=
      machine-role=server
      profile-name=Kiln SSH audit
      pause-between-tests=0
      quick=yes
      skip-plugins=yes
      skip-upgrade-test=yes
      test-scan-mode=full
      verbose=no
      colors=no
      """;

  /** Copies Lynis onto a private tmpfs at $root/mnt, runs it chrooted in $root, prints results. */
  static final String AUDIT =
      """
      set -eu
      root="$1"
      [ -x "$root/usr/sbin/sshd" ] || { echo "kiln: no sshd under the root to audit ($root)"; exit 1; }
      st=$(mktemp -d /tmp/kiln-lynis.XXXXXX)
      mount -t tmpfs -o mode=0700 tmpfs "$st"
      mkdir -p "$st/lynis" "$st/out"
      cp -a /usr/share/lynis/include /usr/share/lynis/db /etc/lynis/plugins "$st/lynis/"
      cp -a /usr/sbin/lynis "$st/lynis/"
      cat >"$st/lynis/kiln.prf" <<'PRF'
      @PROFILE@
      PRF
      mount --bind "$st" "$root/mnt"
      rc=0
      # root's PATH on Debian, not this JVM's: Lynis looks for the candidate's tools along it
      chroot "$root" /usr/bin/env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/sh -c 'cd /mnt/lynis && exec ./lynis audit system --usecwd \
        --profile /mnt/lynis/kiln.prf --plugindir /mnt/lynis/plugins --no-plugins --no-colors \
        --quick --quiet --tests-from-group ssh --logfile /mnt/out/lynis.log \
        --report-file /mnt/out/report.dat' >"$st/out/stdout" 2>&1 || rc=$?
      echo "lynis-exit=$rc"
      echo '@REPORT_MARK@'
      cat "$st/out/report.dat" 2>/dev/null || true
      echo '@OUTPUT_MARK@'
      cat "$st/out/stdout"
      umount "$root/mnt" "$st" && rmdir "$st"
      """
          // replace, not formatted(): the text is a shell script whose line ends must stay \n
          .replace("@PROFILE@", PROFILE.strip())
          .replace("@REPORT_MARK@", REPORT_MARK)
          .replace("@OUTPUT_MARK@", OUTPUT_MARK);

  /** An overlay of the base on a tmpfs, /proc, /dev, host keys and the stock sshd, then AUDIT. */
  static final String BASE =
      """
      set -eu
      base="$1"
      t=$(mktemp -d /tmp/kiln-lynis-base.XXXXXX)
      mount -t tmpfs tmpfs "$t"
      mkdir "$t/u" "$t/w" "$t/m"
      m="$t/m"
      mount -t overlay overlay -o "lowerdir=$base,upperdir=$t/u,workdir=$t/w" "$m"
      mount -t proc proc "$m/proc"
      mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
      mount -t tmpfs -o mode=0755 tmpfs "$m/run"
      mount -t tmpfs -o mode=0755 tmpfs "$m/dev"
      for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
        n="${d%%:*}"; mm="${d#*:}"
        mknod -m 0666 "$m/dev/$n" c "${mm%%:*}" "${mm#*:}"
      done
      mkdir -p "$m/run/sshd"
      ip link set lo up
      chroot "$m" /bin/sh -c 'ssh-keygen -A >/dev/null && /usr/sbin/sshd'
      set -- "$m"
      trap 'umount -R -l "$t" 2>/dev/null; rmdir "$t"' EXIT
      """;

  private static final Duration TIMEOUT = Duration.ofMinutes(10);

  private LynisRun() {}

  /** Whether the host has Lynis where Debian's package puts it. */
  public static boolean installed() {
    return Files.isRegularFile(Path.of("/usr/sbin/lynis"))
        && Files.isDirectory(Path.of("/usr/share/lynis/include"));
  }

  /** Lynis' SSH audit of a running candidate: its output (see the marks). */
  public static String candidate(CandidateState s) throws KilnException {
    if (s.pid1 <= 0 || !Files.exists(Path.of("/proc", Long.toString(s.pid1)))) {
      throw new KilnException("the candidate " + s.instanceId + " is not running");
    }
    // Without -r the entered mount namespace's root is the host's view, where PID 1's root (the
    // candidate's overlay) is a path; unshare -m keeps the tmpfs on its /mnt private.
    String script =
        "root=$(readlink /proc/" + s.pid1 + "/root)\n" + AUDIT.replace("root=\"$1\"", "");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                // Lynis runs beside the other controls (ControlRegistry.BESIDE) and only has to
                // finish before the last stage: at a lower CPU priority it takes the time the
                // others spend waiting (key cache TTL, fail2ban's polling) instead of slowing
                // them. Not 19: on a saturated machine that share (1/70 of a normal process)
                // could starve it past its timeout; 10 (about 1/10) keeps it out of the way.
                "nice",
                "-n",
                "10",
                "nsenter",
                "-t",
                Long.toString(s.pid1),
                "-m",
                "-u",
                "-p",
                "-n",
                "--",
                "unshare",
                "-m",
                "--propagation",
                "private",
                "/bin/sh",
                "-c",
                script));
    return Procs.run(cmd, TIMEOUT, Map.of("LC_ALL", "C")).output();
  }

  /**
   * Lynis' SSH audit of the unhardened base under {@code baseDir} with its stock sshd; kept in
   * {@code <baseDir>.lynis} (a base never changes once built), so it runs once per base.
   */
  public static String base(Path baseDir) throws KilnException {
    Path cached = baseDir.resolveSibling(baseDir.getFileName() + ".lynis");
    try {
      Optional<String> hit =
          Files.isRegularFile(cached)
              ? Optional.of(Files.readString(cached, StandardCharsets.UTF_8))
              : Optional.empty();
      if (hit.isPresent()) {
        return hit.get();
      }
      List<String> cmd =
          List.of(
              "unshare",
              "-m",
              "-p",
              "-n",
              "-u",
              "-f",
              "--propagation",
              "private",
              "/bin/sh",
              "-c",
              BASE + AUDIT,
              "kiln-lynis-base",
              baseDir.toString());
      String out = Procs.run(cmd, TIMEOUT, Map.of("LC_ALL", "C")).output();
      if (out.contains("lynis-exit=0\n") && out.contains("hardening_index=")) {
        AtomicFile.write(cached, out);
      }
      return out;
    } catch (IOException e) {
      throw new KilnException(
          "cannot read or keep Lynis' audit of " + baseDir + ": " + e.getMessage(), e);
    }
  }
}
