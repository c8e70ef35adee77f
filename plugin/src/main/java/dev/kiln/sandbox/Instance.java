package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.exec.SshKeygen;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A sandbox "instance": an overlay root filesystem (lower = image layers on top of a base, upper =
 * this instance's own directory) running sshd as PID 1 of its own PID, UTS and mount namespaces,
 * inside a network namespace.
 *
 * <p>All mounts (overlay, proc, tmpfs /run and /tmp, a minimal /dev with its own devpts) live in a
 * private mount namespace owned by the instance's process tree: when its PID 1 dies (stop, SIGKILL
 * of the {@code unshare} parent, which kills its child), the kernel unmounts everything. Nothing is
 * mounted in the host's mount namespace, so nothing can be left mounted there.
 *
 * <ul>
 *   <li>{@link Mode#BUILDER}: sshd runs with a Kiln-provided config, host key and authorized keys
 *       from a directory bind-mounted at {@code /run/kiln}; {@code /run} and {@code /tmp} are
 *       tmpfs. So the upper directory gets only what provisioning changes: it becomes the image
 *       layer.
 *   <li>{@link Mode#CANDIDATE}: boots the image as a launched instance would: host keys generated
 *       ({@code ssh-keygen -A}), the {@code bootCommands}, then the image's own sshd with its own
 *       config, logging to {@code /var/log/sshd.log}.
 * </ul>
 */
public final class Instance implements AutoCloseable {
  public enum Mode {
    BUILDER,
    CANDIDATE
  }

  static final String SCRIPT =
      """
      set -eu
      mode="$1"; lower="$2"; upper="$3"; work="$4"; merged="$5"; rundir="$6"; host="$7"; boot="$8"
      repo="${9:-}"
      mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$merged"
      mount -t proc proc "$merged/proc"
      mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$merged/run"
      mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$merged/tmp"
      mount -t tmpfs -o mode=0755,nosuid tmpfs "$merged/dev"
      for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
        n="${d%%:*}"; mm="${d#*:}"
        mknod -m 0666 "$merged/dev/$n" c "${mm%%:*}" "${mm#*:}"
      done
      mkdir -p "$merged/dev/pts" "$merged/dev/shm"
      mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$merged/dev/pts"
      ln -s pts/ptmx "$merged/dev/ptmx"
      ln -s /proc/self/fd "$merged/dev/fd"
      mkdir -p "$merged/run/sshd" "$merged/run/kiln"
      chmod 0755 "$merged/run/sshd"
      mount --bind "$rundir" "$merged/run/kiln"
      hostname "$host"
      if [ "$mode" = BUILDER ]; then
        if [ -n "$repo" ]; then
          # The base's package repository, read-only, and an apt configuration naming only it; apt's
          # lists live on a tmpfs. Mounts are not in the upper layer: the image gets none of this.
          mkdir -p "$merged/run/kiln-repo"
          mount --bind "$repo" "$merged/run/kiln-repo"
          mount -o remount,bind,ro "$merged/run/kiln-repo"
          mount --bind "$rundir/apt-sources.list" "$merged/etc/apt/sources.list"
          if [ -d "$merged/etc/apt/sources.list.d" ]; then
            mount -t tmpfs -o mode=0755 tmpfs "$merged/etc/apt/sources.list.d"
          fi
          mount -t tmpfs -o mode=0755 tmpfs "$merged/var/lib/apt/lists"
          mkdir -p "$merged/var/lib/apt/lists/partial"
        fi
        exec chroot "$merged" /usr/sbin/sshd -D -e -f /run/kiln/sshd_config
      fi
      exec chroot "$merged" /bin/sh -c "$boot"
      """;

  static final String BUILDER_SSHD_CONFIG =
      """
      # Kiln sandbox builder: only for Packer's connection, never part of the image.
      Port 22
      ListenAddress 0.0.0.0
      HostKey /run/kiln/ssh_host_ed25519_key
      AuthorizedKeysFile /run/kiln/authorized_keys
      PubkeyAuthentication yes
      PasswordAuthentication no
      KbdInteractiveAuthentication no
      PermitRootLogin no
      UsePAM no
      PidFile /run/sshd.pid
      Subsystem sftp internal-sftp
      LogLevel INFO
      """;

  private final Netns ns;
  private final Path dir;
  private final Process process;
  private final Path log;

  private Instance(Netns ns, Path dir, Process process, Path log) {
    this.ns = ns;
    this.dir = dir;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts an instance.
   *
   * @param ledger records the instance's {@code unshare} (its PID namespace dies with it)
   * @param ns the network namespace it runs in (the caller links it to others)
   * @param lowers lower layers, topmost first, the base root filesystem last
   * @param dir this instance's directory: {@code upper/}, {@code work/}, {@code merged/}, {@code
   *     run/} (bind-mounted at /run/kiln) and {@code instance.log} are created there; it must be on
   *     the same filesystem as the image store so the upper directory can be renamed into it
   * @param authorizedKeys BUILDER: public keys allowed to log in as any user
   * @param bootCommands CANDIDATE: shell commands run in the chroot before sshd
   */
  public static Instance start(
      Ledger ledger,
      Mode mode,
      Netns ns,
      List<Path> lowers,
      Path dir,
      String hostname,
      List<String> authorizedKeys,
      String bootCommands)
      throws KilnException {
    return start(ledger, mode, ns, lowers, dir, hostname, authorizedKeys, bootCommands, null);
  }

  /**
   * Starts an instance; a BUILDER with {@code repo} has that package repository (see {@link
   * BaseRootfs#repo()}) as its only apt source.
   */
  public static Instance start(
      Ledger ledger,
      Mode mode,
      Netns ns,
      List<Path> lowers,
      Path dir,
      String hostname,
      List<String> authorizedKeys,
      String bootCommands,
      Path repo)
      throws KilnException {
    Path upper = dir.resolve("upper");
    Path work = dir.resolve("work");
    Path merged = dir.resolve("merged");
    Path run = dir.resolve("run");
    Path log = dir.resolve("instance.log");
    try {
      for (Path p : List.of(upper, work, merged, run)) {
        Files.createDirectories(p);
      }
      if (mode == Mode.BUILDER) {
        Files.writeString(run.resolve("sshd_config"), BUILDER_SSHD_CONFIG, StandardCharsets.UTF_8);
        Files.writeString(
            run.resolve("authorized_keys"),
            String.join("\n", authorizedKeys) + "\n",
            StandardCharsets.UTF_8);
        SshKeygen.newEd25519("kiln-builder", run.resolve("ssh_host_ed25519_key"));
        Files.writeString(
            run.resolve("apt-sources.list"), BaseRootfs.repoSourcesList(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new KilnException(
          "cannot prepare instance directory " + dir + ": " + e.getMessage(), e);
    }
    List<String> lowerPaths = new ArrayList<>();
    lowers.forEach(p -> lowerPaths.add(p.toAbsolutePath().toString()));
    List<String> cmd =
        ns.exec(
            List.of(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--uts",
                "--pid",
                "--fork",
                "--kill-child",
                "--",
                "bash",
                "-c",
                SCRIPT,
                "kiln-instance",
                mode.name(),
                String.join(":", lowerPaths),
                upper.toString(),
                work.toString(),
                merged.toString(),
                run.toString(),
                hostname,
                candidateBoot(bootCommands),
                repo == null ? "" : repo.toAbsolutePath().toString()));
    Process p = ledger.start("instance-" + ns.name(), cmd, log, Map.of("LC_ALL", "C"));
    Instance i = new Instance(ns, dir, p, log);
    i.awaitSshd(Duration.ofSeconds(30));
    return i;
  }

  /** The candidate's boot: host keys, the caller's commands, then the image's sshd. */
  static String candidateBoot(String bootCommands) {
    String extra = bootCommands == null || bootCommands.isBlank() ? "true" : bootCommands;
    return "ssh-keygen -A >/dev/null; " + extra + "; exec /usr/sbin/sshd -D -E /var/log/sshd.log";
  }

  private void awaitSshd(Duration timeout) throws KilnException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = logText();
      if (text.contains("Server listening on 0.0.0.0 port 22") || sshdLogReady()) {
        return;
      }
      if (!process.isAlive()) {
        throw new KilnException("the sandbox instance did not start:\n" + Procs.tail(text));
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new KilnException("interrupted while starting a sandbox instance", e);
      }
    }
    close();
    throw new KilnException("sshd did not start within " + timeout + ":\n" + Procs.tail(logText()));
  }

  private boolean sshdLogReady() {
    Path f = dir.resolve("upper/var/log/sshd.log");
    try {
      return Files.isRegularFile(f) && Files.readString(f).contains("Server listening");
    } catch (IOException e) {
      return false;
    }
  }

  /** The instance's console log (mount errors, sshd -e output). */
  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  public Netns namespace() {
    return ns;
  }

  /** The upper (writable) layer: everything the instance changed. */
  public Path upper() {
    return dir.resolve("upper");
  }

  public Path dir() {
    return dir;
  }

  /** The PID of the instance's {@code unshare} (its child is PID 1 inside). */
  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /**
   * Stops the instance: SIGKILL to {@code unshare}, whose {@code --kill-child} kills PID 1, which
   * takes down the PID namespace and with it the mount namespace (all its mounts). Idempotent. The
   * upper directory is kept; {@link #discard()} deletes the instance directory.
   */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // the PID namespace's processes die with its PID 1; wait until the overlay is gone
    for (int n = 0; n < 100 && mergedStillMounted(); n++) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private boolean mergedStillMounted() {
    // the overlay lives in the instance's mount namespace; when its last process is gone the
    // namespace and mounts are gone too. The work dir's "work" subdir is busy until then.
    return ns.pids().stream().anyMatch(pid -> ProcessHandle.of(pid).isPresent());
  }

  /** Stops the instance and deletes its directory (upper included). */
  public void discard() {
    close();
    Files2.deleteTree(dir);
  }
}
