package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * One session of the local sandbox cloud. Opening it (root only):
 *
 * <ol>
 *   <li>removes what earlier Kiln runs whose JVM died left: processes, namespaces, run directories
 *       ({@link StaleSweep});
 *   <li>creates the control namespace {@code kiln-<short>-ctl} (loopback only, no route out);
 *   <li>starts the emulator there with the AMI catalogue: synthetic source images for the recipes'
 *       base-image filters plus every image in the persistent {@link ImageStore}.
 * </ol>
 *
 * <p>Further namespaces ({@link #newNamespace}) are linked to the control namespace over veth pairs
 * with addresses from 198.18.0.0/15 ({@link #linkToControl}); instances ({@link #startBuilder},
 * {@link #bootCandidate}) run in them. Every process is recorded in the run's {@link Ledger}
 * ({@code <runDir>/procs}) before it runs. {@link #close()} (also run by a JVM shutdown hook) stops
 * every process by PID, then whatever the ledger still names, deletes every namespace and the run
 * directory. All mounts live in the instances' private mount namespaces and vanish with them.
 */
public final class Sandbox implements AutoCloseable {
  /** A synthetic source image standing in for a recipe's real base image. */
  public record SourceImage(String id, String name, String ownerId, String architecture) {
    /** The image a recipe's base-image filter (first owner, name pattern) resolves to. */
    public static SourceImage forFilter(
        List<String> owners, String namePattern, String architecture) {
      String owner = owners.isEmpty() ? "137112412989" : owners.get(0);
      if (!owner.matches("\\d{12}")) {
        owner = "137112412989"; // an alias such as "amazon": moto aliases every catalogue image so
      }
      String name = namePattern.replace("*", "20250101-kiln-sandbox").replace("?", "0");
      String arch = architecture == null || architecture.isBlank() ? "x86_64" : architecture;
      return new SourceImage(
          "ami-" + sha256(name + "|" + owner + "|" + arch).substring(0, 17), name, owner, arch);
    }
  }

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

  /** How long the shutdown hook waits for users ({@link #lease}) to finish their own cleanup. */
  static final java.time.Duration LEASE_GRACE = java.time.Duration.ofSeconds(60);

  private final Object leaseLock = new Object();
  private int leases;
  private volatile boolean stopping;

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
          Emulator.start(s.ledger, s.control, s.runDir.resolve("emulator"), s.catalogue(sources));
      return s;
    } catch (IOException | KilnException | RuntimeException e) {
      s.close();
      if (e instanceof KilnException k) {
        throw k;
      }
      throw new KilnException("cannot start the sandbox: " + e.getMessage(), e);
    }
  }

  /** moto catalogue entries: the sources, then every stored image with its tags and fixed id. */
  List<Map<String, Object>> catalogue(List<SourceImage> sources) throws KilnException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (SourceImage s : sources) {
      out.add(ami(s.id(), s.name(), s.ownerId(), s.architecture(), true, Map.of()));
    }
    for (ImageStore.Entry e : images.list()) {
      if (out.stream().noneMatch(m -> m.get("ami_id").equals(e.id()))) {
        out.add(ami(e.id(), e.name(), Emulator.ACCOUNT_ID, e.architecture(), false, e.tags()));
      }
    }
    return out;
  }

  private static Map<String, Object> ami(
      String id, String name, String owner, String arch, boolean pub, Map<String, String> tags) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ami_id", id);
    m.put("name", name);
    m.put("description", "Kiln sandbox image");
    m.put("owner_id", owner);
    m.put("public", pub);
    m.put("virtualization_type", "hvm");
    m.put("architecture", arch == null ? "x86_64" : arch);
    m.put("state", "available");
    m.put("hypervisor", "xen");
    m.put("root_device_type", "ebs");
    m.put("root_device_name", "/dev/xvda");
    m.put("sriov", "simple");
    if (!tags.isEmpty()) {
      m.put("tags", tags);
    }
    return m;
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
   * Starts a builder instance for {@code base} (plus optional lower image layers, topmost first):
   * its own namespace linked to the control namespace; Packer reaches it at {@code peerAddress:22}.
   */
  public Builder startBuilder(
      BaseRootfs base, List<Path> layers, List<String> authorizedKeys, String role)
      throws KilnException {
    return startBuilder(base, layers, authorizedKeys, role, Map.of());
  }

  /**
   * As above, with {@code planted} files (path relative to the root → content) written into the
   * builder's upper layer before it starts: they end up in the image as if the base had them.
   */
  public Builder startBuilder(
      BaseRootfs base,
      List<Path> layers,
      List<String> authorizedKeys,
      String role,
      Map<String, String> planted)
      throws KilnException {
    Path upper = runDir.resolve(role).resolve("upper");
    try {
      for (Map.Entry<String, String> e : planted.entrySet()) {
        Path f = upper.resolve(e.getKey()).normalize();
        if (!f.startsWith(upper)) {
          throw new KilnException("a planted file must lie inside the root: " + e.getKey());
        }
        Files.createDirectories(
            java.util.Objects.requireNonNull(f.getParent(), "a planted file has a directory"));
        Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new KilnException("cannot plant files in the builder: " + e.getMessage(), e);
    }
    synchronized (lock) {
      Netns ns = newNamespace(role);
      Link link = linkToControl(ns, role);
      List<Path> lowers = new ArrayList<>(layers);
      lowers.add(base.dir());
      Instance i =
          Instance.start(
              ledger,
              Instance.Mode.BUILDER,
              ns,
              lowers,
              runDir.resolve(role),
              "kiln-sandbox",
              authorizedKeys,
              null,
              base.repo());
      resources.push(i);
      return new Builder(i, link, ns);
    }
  }

  /** A builder instance and the address Packer's {@code ssh_host} uses. */
  public record Builder(Instance instance, Link link, Netns namespace) {
    public String sshHost() {
      return link.peerAddress();
    }

    /** Stops the instance (keeping its upper directory) and deletes its namespace. */
    public void stop() {
      instance.close();
      namespace.close();
    }
  }

  /**
   * Boots a candidate from a stored image: a fresh overlay of base + image layer in its own
   * namespaces, linked to the control namespace (the emulator is at {@code
   * http://<controlAddress>:5000} from inside), an IMDS on 169.254.169.254 with role {@code role},
   * and {@code bootCommands} run before sshd. Reach it from {@link #newNamespace} "attacker"
   * namespaces linked with {@link Netns#link}.
   */
  public Candidate bootCandidate(String amiId, String role, String iamRole, String bootCommands)
      throws KilnException {
    synchronized (lock) {
      ImageStore.Entry e =
          images.get(amiId).orElseThrow(() -> new KilnException("no sandbox image " + amiId));
      Netns ns = newNamespace(role);
      Link link = linkToControl(ns, role);
      Imds imds =
          Imds.start(
              ledger,
              ns,
              runDir.resolve(role + "-imds.log"),
              region,
              iamRole,
              "i-" + runShort + role);
      resources.push(imds);
      Instance i =
          Instance.start(
              ledger,
              Instance.Mode.CANDIDATE,
              ns,
              List.of(images.layer(amiId), Path.of(e.base())),
              runDir.resolve(role),
              "kiln-" + role,
              List.of(),
              bootCommands);
      resources.push(i);
      return new Candidate(i, link, imds, "http://" + link.controlAddress() + ":" + Emulator.PORT);
    }
  }

  /** A booted candidate: its instance, link, metadata endpoint and the emulator URL from inside. */
  public record Candidate(Instance instance, Link link, Imds imds, String emulatorUrl) {}

  /**
   * Exposes {@code host:port} as seen from inside {@code ns} on host loopback ({@code
   * 127.0.0.1:<returned port>}): a forwarder inside the namespace serves a Unix socket, a {@link
   * UnixBridge} in the JVM listens on loopback. No non-loopback address is ever dialled from the
   * host namespace. Closed with the sandbox.
   */
  public int exposeOnHost(Netns ns, String host, int port, String name) throws KilnException {
    Path python = Procs.which("python3", List.of(Path.of("/usr/bin")));
    if (python == null) {
      throw new KilnException("the sandbox needs python3 ('apt-get install -y python3')");
    }
    Path sock = runDir.resolve(name + ".sock");
    synchronized (lock) {
      Process fwd =
          ledger.start(
              "forwarder-" + name,
              ns.exec(
                  List.of(
                      python.toString(),
                      "-c",
                      Emulator.FORWARDER,
                      sock.toString(),
                      host,
                      Integer.toString(port))),
              runDir.resolve(name + "-forwarder.log"),
              Map.of());
      resources.push(() -> Procs.stop(fwd, java.time.Duration.ofSeconds(2)));
    }
    // Wait for the forwarder's socket without holding the lock: close() must not wait on it.
    for (int i = 0; i < 200 && !Files.exists(sock); i++) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    synchronized (lock) {
      requireOpen();
      try {
        UnixBridge bridge = new UnixBridge(sock);
        resources.push(bridge);
        return bridge.port();
      } catch (IOException e) {
        throw new KilnException("cannot bridge " + name + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Marks a user of the session (a bake) that cleans up through the emulator: on SIGINT/SIGTERM the
   * JVM's shutdown hook waits (at most {@link #LEASE_GRACE}) until every lease is closed before it
   * stops the emulator, so the user's cleanup does not meet "Connection refused".
   */
  public AutoCloseable lease() {
    synchronized (leaseLock) {
      leases++;
    }
    boolean[] done = {false};
    return () -> {
      synchronized (leaseLock) {
        if (!done[0]) {
          done[0] = true;
          leases--;
          leaseLock.notifyAll();
        }
      }
    };
  }

  /** True once the JVM is shutting down (SIGINT, SIGTERM): users should fail and clean up. */
  public boolean stopping() {
    return stopping;
  }

  /** The shutdown hook: the users' cleanup first, then everything else. */
  private void shutdown() {
    stopping = true;
    long deadline = System.nanoTime() + LEASE_GRACE.toNanos();
    synchronized (leaseLock) {
      while (leases > 0 && System.nanoTime() < deadline) {
        try {
          leaseLock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (leases > 0) {
        log.accept("sandbox cleanup: stopping with " + leases + " user(s) still busy");
      }
    }
    close();
  }

  /** Fails once {@link #close()} has begun: nothing may be added after it released it all. */
  private void requireOpen() throws KilnException {
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

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
