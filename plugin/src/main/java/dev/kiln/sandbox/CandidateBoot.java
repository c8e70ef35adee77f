package dev.kiln.sandbox;

import static dev.kiln.sandbox.CandidateNetwork.CONTROL_ADDRESS;
import static dev.kiln.sandbox.CandidateNetwork.SOURCES;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Boots a candidate's root: an overlay of base + image layer in its {@code -vm} namespace, its own
 * PID/UTS/mount namespaces, running {@code candidate-boot.sh} (host keys, user sync, fail2ban) and
 * then the image's sshd as PID 1.
 */
public final class CandidateBoot {
  private CandidateBoot() {}

  /**
   * Writes the boot files into {@code <dir>/vm/run} (mounted at {@code /run/kiln}), starts the
   * instance and records its PID 1 in {@code s}.
   */
  static void boot(CandidateState s, Netns vm, List<Path> layers)
      throws IOException, KilnException {
    Path vmDir = s.dir.resolve("vm");
    Path run = vmDir.resolve("run");
    Files.createDirectories(run);
    copyResource("candidate-boot.sh", run.resolve("boot.sh"));
    copyResource("kiln-sandbox-sshd.conf", run.resolve("kiln-sandbox-sshd.conf"));
    copyResource("zz-kiln-sandbox.local", run.resolve("zz-kiln-sandbox.local"));
    Files.writeString(
        run.resolve("boot.env"),
        "KILN_EMULATOR=http://"
            + CONTROL_ADDRESS
            + ":"
            + Emulator.PORT
            + "\nKILN_REGION="
            + s.region
            + "\nKILN_EXEMPT_SOURCES="
            + SOURCES.get("user")
            + ","
            + SOURCES.get("probe")
            + "\n",
        StandardCharsets.UTF_8);
    Files.writeString(run.resolve("sshd.argv"), sshdArgv(layers), StandardCharsets.UTF_8);
    Instance instance =
        Instance.start(
            s.ledger(),
            Instance.Mode.CANDIDATE,
            vm,
            layers,
            vmDir,
            s.hostname,
            List.of(),
            "exec /bin/sh /run/kiln/boot.sh");
    s.pid1 =
        ProcessHandle.of(instance.pid())
            .flatMap(h -> h.children().findFirst())
            .map(ProcessHandle::pid)
            .orElse(0L);
  }

  /**
   * sshd's command line as systemd would start the image's unit (its ExecStart after the unit's
   * drop-ins, {@link SshdUnit}), one argument per line, for boot.sh to exec.
   */
  static String sshdArgv(List<Path> layers) throws KilnException {
    List<String> argv = SshdUnit.execStart(layers, "ssh");
    if (argv.isEmpty()) {
      argv = SshdUnit.execStart(layers, "sshd");
    }
    if (argv.isEmpty()) {
      argv = List.of("/usr/sbin/sshd", "-D");
    }
    for (String a : argv) {
      if (a.contains("\n") || a.contains("\0")) {
        throw new KilnException("the image's sshd unit has an argument with a line break: " + a);
      }
    }
    return String.join("\n", argv) + "\n";
  }

  /** The last lines of the instance's console and boot log, for a failed start's message. */
  static String consoleTail(CandidateState s) {
    StringBuilder b = new StringBuilder();
    for (String f : List.of("vm/instance.log", "vm/upper/var/log/kiln-boot.log")) {
      Path p = s.dir == null ? null : s.dir.resolve(f);
      if (p != null && Files.isRegularFile(p)) {
        try {
          b.append(f).append(":\n").append(Procs.tail(Files.readString(p))).append('\n');
        } catch (IOException e) {
          // ignore
        }
      }
    }
    return b.toString().strip();
  }

  private static void copyResource(String name, Path to) throws IOException {
    try (InputStream in = CandidateBoot.class.getResourceAsStream("/kiln/sandbox/" + name)) {
      if (in == null) {
        throw new IOException("missing resource kiln/sandbox/" + name);
      }
      Files.write(to, in.readAllBytes());
    }
  }

  /**
   * A second first boot of the image, as far as the key compared goes: an overlay of the same
   * layers on a fresh upper directory, in a private mount namespace, where the ed25519 host key is
   * made as the candidate's boot makes it ({@code ssh-keygen -A} generates a key only when the
   * image has none). Prints the public key, whichever layer it comes from. No network namespace,
   * sshd or other key types: they cost a second of CPU beside the other controls and were never
   * compared.
   */
  static final String HOST_KEY_SCRIPT =
      """
      set -eu
      mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
      k=/etc/ssh/ssh_host_ed25519_key
      chroot "$4" /bin/sh -c "[ -e $k ] || ssh-keygen -q -t ed25519 -N '' -f $k"
      cat "$4$k.pub"
      """;

  /**
   * The ed25519 host public key a second first boot of the image makes ({@link #HOST_KEY_SCRIPT}),
   * in a new directory under {@code parent} (the candidate's own: a run killed half-way leaves it
   * to the candidate's removal); the directory is removed before returning, the mount goes with its
   * mount namespace.
   */
  public static String throwawayHostKey(Path cacheDir, String amiId, Path parent)
      throws KilnException {
    ImageStore store = new ImageStore(cacheDir);
    ImageStore.Entry image =
        store.get(amiId).orElseThrow(() -> new KilnException("no sandbox image " + amiId));
    Path dir = parent.toAbsolutePath().resolve("second-boot-" + CandidateState.newIds()[1]);
    try {
      List<String> args = new ArrayList<>();
      for (String d : List.of("upper", "work", "merged")) {
        Files.createDirectories(dir.resolve(d));
        args.add(dir.resolve(d).toString());
      }
      String lower =
          store.layer(amiId).toAbsolutePath() + ":" + Path.of(image.base()).toAbsolutePath();
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  "unshare",
                  "--mount",
                  "--propagation",
                  "private",
                  "--",
                  "/bin/sh",
                  "-c",
                  HOST_KEY_SCRIPT,
                  "kiln-hostkey",
                  lower));
      cmd.addAll(args);
      Procs.Captured r = Procs.capture(cmd, null, Map.of("LC_ALL", "C"), Duration.ofSeconds(60));
      String key = r.stdout().strip();
      if (!r.ok() || key.isEmpty()) {
        throw new KilnException(
            "the second boot made no ed25519 host key (exit "
                + r.exitCode()
                + "): "
                + Procs.tail(r.stderr()));
      }
      return key;
    } catch (IOException e) {
      throw new KilnException(
          "cannot prepare the second boot in " + dir + ": " + e.getMessage(), e);
    } finally {
      Files2.deleteTree(dir);
    }
  }
}
