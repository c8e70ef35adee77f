package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * One session of the local sandbox cloud. Opening it (root only):
 *
 * <ol>
 *   <li>removes what earlier Kiln runs whose JVM died left: processes, namespaces, run directories
 *       ({@link StaleSweep});
 *   <li>creates the control namespace {@code kiln-<short>-ctl} (loopback only, no route out);
 *   <li>starts the emulator there with the AMI catalogue ({@link SandboxCatalogue}): synthetic
 *       source images for the recipes' base-image filters plus every image in the persistent {@link
 *       ImageStore}.
 * </ol>
 *
 * <p>Further namespaces ({@link #newNamespace}) are linked to the control namespace over veth pairs
 * with addresses from 198.18.0.0/15 ({@link #linkToControl}); instances ({@link SandboxBuilder},
 * {@link SandboxCandidate}) run in them, {@link SandboxForwarder} reaches their services from the
 * host. Every process is recorded in the run's {@link Ledger} ({@code <runDir>/procs}) before it
 * runs. {@link #close()} (also run by a JVM shutdown hook) stops every process by PID, then
 * whatever the ledger still names, deletes every namespace and the run directory. All mounts live
 * in the instances' private mount namespaces and vanish with them.
 */
public final class Sandbox implements AutoCloseable {
  /** The two ends of a veth link between the control namespace and another. */
  public record Link(String controlAddress, String peerAddress) {}

  private final Path cacheDir;
  private final String region;
  private final String runShort;
  private final Path runDir;
  private final ImageStore images;
  private final Ledger ledger;
  private final Consumer<String> log;
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final List<Netns> namespaces = new ArrayList<>();
  private Netns control;
  private Emulator emulator;
  private int subnets;
  private final Thread hook;
  private final Object lock = new Object();
  private boolean closed;
  private final SandboxLeases leases = new SandboxLeases();

  private Sandbox(Path cacheDir, String region, Consumer<String> log) {
    this.cacheDir = cacheDir;
    this.region = region;
    this.log = log;
    this.runShort = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    this.runDir = cacheDir.resolve("run").resolve(runShort);
    this.images = new ImageStore(cacheDir);
    this.ledger = new Ledger(runDir.resolve("procs"));
    this.hook = new Thread(this::shutdown, "kiln-sandbox-shutdown");
  }

  /** Fails unless this JVM runs as root. */
  public static void requireRoot() throws KilnException {
    if (!Procs.isRoot()) {
      throw new KilnException(
          "cloud",
          "the sandbox cloud needs root (it creates network namespaces and mounts overlays): run"
              + " Maven as root, or use -Dkiln.cloud=aws with AWS credentials",
          List.of(),
          null);
    }
  }

  /**
   * Opens a session.
   *
   * @param cacheDir {@code -Dkiln.sandbox.cacheDir} or {@link SandboxSettings#defaultCacheDir()}
   * @param region the emulated region
   * @param sources synthetic source images to put in the catalogue
   */
  public static Sandbox open(
      Path cacheDir, String region, List<SourceImage> sources, Consumer<String> log)
      throws KilnException {
    requireRoot();
    Emulator.locateMoto();
    Sandbox s = new Sandbox(cacheDir.toAbsolutePath(), region, log);
    try {
      Runtime.getRuntime().addShutdownHook(s.hook);
      List<String> swept = StaleSweep.sweep(s.cacheDir);
      if (!swept.isEmpty()) {
        log.accept("Removed what killed Kiln runs left: " + String.join(", ", swept));
      }
      StaleSweep.claim(s.runDir);
      RunLock.register(s.runShort, s.runDir);
      s.images.sweep(log);
      s.control = s.newNamespace("ctl");
      s.emulator =
          Emulator.start(
              s.ledger,
              s.control,
              s.runDir.resolve("emulator"),
              SandboxCatalogue.of(s.images, sources));
      return s;
    } catch (IOException | KilnException | RuntimeException e) {
      s.close();
      if (e instanceof KilnException k) {
        throw k;
      }
      throw new KilnException("cannot start the sandbox: " + e.getMessage(), e);
    }
  }

  public String runShort() {
    return runShort;
  }

  public String region() {
    return region;
  }

  public Path cacheDir() {
    return cacheDir;
  }

  /** This session's scratch directory (deleted on close), on the same filesystem as the store. */
  public Path runDir() {
    return runDir;
  }

  public ImageStore images() {
    return images;
  }

  /** Where this session records every process it starts (Packer included: {@link #track}). */
  public Ledger ledger() {
    return ledger;
  }

  /**
   * {@code cmd} as a prefix that records the process as {@code name} in the session's ledger before
   * it runs (e.g. Packer's {@code ip netns exec} prefix): a Packer orphaned by a killed JVM is
   * found and stopped by the next run's {@link StaleSweep}.
   */
  public List<String> track(String name, List<String> cmd) throws KilnException {
    return ledger.wrap(name, cmd);
  }

  public Emulator emulator() {
    return emulator;
  }

  public Netns control() {
    return control;
  }

  /** A new namespace {@code kiln-<short>-<role>}, deleted on close. */
  public Netns newNamespace(String role) throws KilnException {
    synchronized (lock) {
      Netns ns = Netns.create("kiln-" + runShort + "-" + role);
      namespaces.add(ns);
      return ns;
    }
  }

  /**
   * Links {@code ns} to the control namespace with a veth pair on the next free /30 of
   * 198.18.0.0/15 (addresses that exist only inside the sandbox).
   */
  public Link linkToControl(Netns ns, String role) throws KilnException {
    synchronized (lock) {
      int n = ++subnets;
      if (n > 16000) {
        throw new KilnException("too many sandbox links");
      }
      int base = n * 4;
      String prefix = "198." + (18 + base / 65536) + "." + (base / 256 % 256) + ".";
      String c = prefix + (base % 256 + 1);
      String p = prefix + (base % 256 + 2);
      String tag = role.length() > 8 ? role.substring(0, 8) : role;
      Netns.link(control, "kc" + n + tag, c + "/30", ns, "eth0", p + "/30");
      return new Link(c, p);
    }
  }

  /**
   * Marks a user of the session (a bake) that cleans up through the emulator: on SIGINT/SIGTERM the
   * JVM's shutdown hook waits (at most {@link SandboxLeases#GRACE}) until every lease is closed
   * before it stops the emulator, so the user's cleanup does not meet "Connection refused".
   */
  public AutoCloseable lease() {
    return leases.lease();
  }

  /** True once the JVM is shutting down (SIGINT, SIGTERM): users should fail and clean up. */
  public boolean stopping() {
    return leases.stopping();
  }

  /** The shutdown hook: the users' cleanup first, then everything else. */
  private void shutdown() {
    leases.drain(log);
    close();
  }

  /** Work done under the session's lock. */
  interface Locked<T> {
    T run() throws KilnException;
  }

  /**
   * Runs {@code work} under the session's lock: what starts something the session owns holds it
   * from creating to {@link #own}, so that {@link #close()} sees either nothing or all of it.
   */
  <T> T locked(Locked<T> work) throws KilnException {
    synchronized (lock) {
      return work.run();
    }
  }

  /** Hands {@code r} to the session: {@link #close()} closes it, newest first. */
  void own(AutoCloseable r) {
    synchronized (lock) {
      resources.push(r);
    }
  }

  /** Fails once {@link #close()} has begun: nothing may be added after it released it all. */
  void requireOpen() throws KilnException {
    if (closed) {
      throw new KilnException("the sandbox session " + runShort + " is closed");
    }
  }

  /** Stops every process by PID, deletes namespaces and the run directory. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      while (!resources.isEmpty()) {
        try {
          resources.pop().close();
        } catch (Exception e) {
          log.accept("sandbox cleanup: " + e.getMessage());
        }
      }
      if (emulator != null) {
        emulator.close();
      }
      Ledger.Stopped left = ledger.stopAll(java.time.Duration.ofSeconds(3));
      if (!left.gone().isEmpty()) {
        log.accept("sandbox cleanup: stopped what was still running: " + left.gone());
      }
      if (!left.survivors().isEmpty()) {
        log.accept(
            "sandbox cleanup: still running, left to the next run's sweep: " + left.survivors());
      }
      for (int i = namespaces.size() - 1; i >= 0; i--) {
        namespaces.get(i).close();
      }
      if (left.survivors().isEmpty()) {
        Files2.deleteTree(runDir);
        RunLock.release(runShort);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down: this is the hook
      }
    }
  }
}
