package dev.kiln.sandbox;

import static dev.kiln.sandbox.CandidateNetwork.CONTROL_ADDRESS;
import static dev.kiln.sandbox.CandidateNetwork.NS_PREFIX;
import static dev.kiln.sandbox.CandidateNetwork.SOURCES;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
   * Boots a second, throwaway instance of the same image (own namespace, fresh upper layer, first
   * boot host key generation, sshd) and returns its ed25519 host public key; everything it made is
   * removed before returning.
   */
  public static String throwawayHostKey(Path cacheDir, String amiId) throws KilnException {
    ImageStore store = new ImageStore(cacheDir);
    ImageStore.Entry image =
        store.get(amiId).orElseThrow(() -> new KilnException("no sandbox image " + amiId));
    String[] ids = CandidateState.newIds();
    Path dir = cacheDir.toAbsolutePath().resolve("candidates").resolve(ids[1]);
    Netns ns = Netns.create(NS_PREFIX + ids[1] + "-hk");
    Ledger ledger = new Ledger(dir.resolve("procs"));
    Instance i = null;
    try {
      i =
          Instance.start(
              ledger,
              Instance.Mode.CANDIDATE,
              ns,
              List.of(store.layer(amiId), Path.of(image.base())),
              dir,
              "kiln-hostkey",
              List.of(),
              ": > /var/log/sshd.log");
      return Files.readString(dir.resolve("upper/etc/ssh/ssh_host_ed25519_key.pub")).strip();
    } catch (IOException e) {
      throw new KilnException(
          "the second boot generated no ed25519 host key: " + e.getMessage(), e);
    } finally {
      if (i != null) {
        i.close();
      }
      ledger.stopAll(Duration.ofSeconds(2));
      ns.close();
      Files2.deleteTree(dir);
    }
  }
}
