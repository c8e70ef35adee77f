package dev.kiln.sandbox;

import static dev.kiln.sandbox.CandidateNetwork.CANDIDATE_ADDRESS;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A candidate instance in the local sandbox that outlives the JVM that launched it, so that {@code
 * kiln:verify} and {@code kiln:terminate} (later Mojo executions, possibly later Maven runs) can
 * reach and remove it. Everything it creates is named from one short id and recorded in a {@link
 * CandidateState} that the caller persists after every step:
 *
 * <ul>
 *   <li>namespaces {@code kilnc-<short>-ctl} (the AWS API emulator), {@code -vm} (the candidate:
 *       overlay of base + image layer, its own PID/UTS/mount namespaces, IMDSv2 on 169.254.169.254)
 *       and {@code -usr} (users and attackers: three source addresses on a veth pair to the
 *       candidate), see {@link CandidateNetwork} and {@link CandidateBoot};
 *   <li>per source address a bridge from a host loopback port through {@code -usr} to the
 *       candidate's sshd ({@link CandidateBridges}): the host only ever dials 127.0.0.1;
 *   <li>the directory {@code <cacheDir>/candidates/<short>} (upper layer, logs, sockets).
 * </ul>
 *
 * <p>{@link CandidateCleanup#terminate} removes all of it by name and PID, idempotently.
 */
public final class CandidateSandbox {
  private CandidateSandbox() {}

  /**
   * Boots a candidate from a stored sandbox image.
   *
   * @param cacheDir the sandbox cache (image store, bases)
   * @param amiId the image
   * @param region the emulated region (IMDS placement/region)
   * @param iamRole the instance profile's role name the IMDS serves credentials for
   * @param timeout how long to wait for the SSH banner
   * @param persist called with the state after every resource created (and on failure)
   * @param log progress lines
   */
  public static CandidateState launch(
      Path cacheDir,
      String amiId,
      String region,
      String iamRole,
      Duration timeout,
      Consumer<CandidateState> persist,
      Consumer<String> log)
      throws KilnException {
    return launch(cacheDir, amiId, region, iamRole, timeout, true, persist, log);
  }

  /**
   * As above; without {@code emulator} the instance gets no AWS API emulator of its own (a group
   * instance: nothing probes its IAM users, and a moto per instance would cost a CPU-second and
   * ≈100 MB each). Its boot-time user sync then fails closed: no IAM user becomes local.
   */
  public static CandidateState launch(
      Path cacheDir,
      String amiId,
      String region,
      String iamRole,
      Duration timeout,
      boolean emulator,
      Consumer<CandidateState> persist,
      Consumer<String> log)
      throws KilnException {
    Sandbox.requireRoot();
    Emulator.locateMoto();
    for (String tool : List.of("socat", "nsenter", "unshare")) {
      if (Procs.which(tool, List.of(Path.of("/usr/bin"), Path.of("/usr/sbin"))) == null) {
        throw new KilnException(
            "the sandbox candidate needs " + tool + " ('apt-get install -y socat util-linux')");
      }
    }
    ImageStore store = new ImageStore(cacheDir);
    ImageStore.Entry image =
        store
            .get(amiId)
            .orElseThrow(
                () ->
                    new KilnException(
                        "ami.id",
                        "no sandbox image "
                            + amiId
                            + " in "
                            + store.dir()
                            + ": bake it first (kiln:bake with -Dkiln.cloud=sandbox), or pass the"
                            + " id that bake printed",
                        List.of(),
                        null));
    String[] ids = CandidateState.newIds();
    CandidateState s = new CandidateState();
    s.instanceId = ids[0];
    s.shortId = ids[1];
    s.amiId = amiId;
    s.region = region;
    s.dir = cacheDir.toAbsolutePath().resolve("candidates").resolve(s.shortId);
    s.hostname = "ip-" + CANDIDATE_ADDRESS.replace('.', '-');
    s.namespaces = CandidateNetwork.names(s.shortId);
    persist.accept(s);
    long t0 = System.nanoTime();
    Consumer<String> step =
        m -> log.accept(m + " (+" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
    Thread[] background = {null};
    try {
      Files.createDirectories(s.dir);
      CandidateNetwork.Namespaces ns = CandidateNetwork.create(s.shortId);
      step.accept("  namespaces " + String.join(", ", s.namespaces) + " created");

      // moto takes ≈2 s to start: boot the candidate meanwhile. Its first-boot sync finds an empty
      // emulator either way (no IAM users exist yet); verify runs the sync again.
      s.emulatorSocket = s.dir.resolve("emulator").resolve("emulator.sock").toString();
      persist.accept(s);
      CompletableFuture<Object> emu = new CompletableFuture<>();
      Thread starter =
          new Thread(
              () -> {
                try {
                  emu.complete(
                      Emulator.start(s.ledger(), ns.ctl(), s.dir.resolve("emulator"), List.of()));
                } catch (KilnException | RuntimeException e) {
                  emu.complete(e);
                }
              },
              "kiln-candidate-emulator");
      if (emulator) {
        background[0] = starter;
        starter.start();
      } else {
        emu.complete("none");
      }

      Imds.start(s.ledger(), ns.vm(), s.dir.resolve("imds.log"), region, iamRole, s.instanceId);
      step.accept("  IMDSv2 endpoint on " + Imds.ADDRESS + " in " + ns.vm().name());

      CandidateBoot.boot(s, ns.vm(), List.of(store.layer(amiId), Path.of(image.base())));
      persist.accept(s);
      step.accept("  candidate booted: host keys, user sync, fail2ban, sshd (pid " + s.pid1 + ")");
      Object e = emu.join();
      if (e instanceof KilnException k) {
        throw k;
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      if (e instanceof Emulator up) {
        step.accept("  AWS API emulator up (pid " + up.motoPid() + ")");
      }

      CandidateBridges.open(s, ns.usr(), persist);
      // The banner through the negative-probe source: a bare connection counts as a failure for
      // fail2ban, and the probes unban that source as needed, never the user source.
      step.accept("  loopback bridges for " + String.join(", ", CandidateNetwork.SOURCE_ORDER));
      CandidateBridges.awaitBanner(s.source("probe").port(), timeout, log, s);
      return s;
    } catch (IOException | KilnException | RuntimeException e) {
      String msg = e.getMessage();
      if (background[0] != null) {
        try {
          background[0].join(30_000);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
      String console = CandidateBoot.consoleTail(s);
      List<String> removed = CandidateCleanup.terminate(s);
      persist.accept(s);
      throw new KilnException(
          "the sandbox candidate did not start: "
              + msg
              + (console.isEmpty() ? "" : "\n" + console)
              + "\n(removed "
              + removed
              + ")",
          e);
    }
  }

  /**
   * The command run inside the candidate (its mount, UTS, PID and network namespaces and its root):
   * {@code nsenter -t PID1 -m -u -p -n -r -w -- CMD}.
   */
  public static List<String> execIn(CandidateState s, List<String> cmd) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "nsenter", "-t", Long.toString(s.pid1), "-m", "-u", "-p", "-n", "-r", "-w", "--"));
    all.addAll(cmd);
    return all;
  }

  /** Runs a shell command inside the candidate, as root. */
  public static Procs.Result exec(CandidateState s, String shell, Duration timeout)
      throws KilnException {
    if (s.pid1 <= 0 || !CandidateCleanup.running(s.pid1)) {
      throw new KilnException("the candidate " + s.instanceId + " is not running");
    }
    return Procs.run(execIn(s, List.of("/bin/sh", "-c", shell)), timeout, Map.of("LC_ALL", "C"));
  }
}
