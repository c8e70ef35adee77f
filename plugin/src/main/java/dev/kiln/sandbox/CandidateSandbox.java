package dev.kiln.sandbox;

import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A candidate instance in the local sandbox that outlives the JVM that launched it, so that {@code
 * kiln:verify} and {@code kiln:terminate} (later Mojo executions, possibly later Maven runs) can
 * reach and remove it. Everything it creates is named from one short id and recorded in a {@link
 * State} that the caller persists after every step:
 *
 * <ul>
 *   <li>namespaces {@code kilnc-<short>-ctl} (the AWS API emulator), {@code -vm} (the candidate:
 *       overlay of base + image layer, its own PID/UTS/mount namespaces, IMDSv2 on 169.254.169.254)
 *       and {@code -usr} (users and attackers: three source addresses on a veth pair to the
 *       candidate). The {@code kilnc-} prefix keeps {@link Netns#sweepStale()} of bake sessions
 *       away from a candidate kept with {@code -Dkiln.keep};
 *   <li>per source address, {@code socat UNIX-LISTEN:<dir>/<src>.sock,fork
 *       TCP:<candidate>:22,bind=<source>} inside {@code -usr}, and on the host a loopback listener
 *       {@code socat TCP-LISTEN:<port>,bind=127.0.0.1 UNIX-CONNECT:<dir>/<src>.sock}: the host only
 *       ever dials 127.0.0.1;
 *   <li>the directory {@code <cacheDir>/candidates/<short>} (upper layer, logs, sockets).
 * </ul>
 *
 * <p>{@link #terminate} removes all of it by name and PID, idempotently.
 */
public final class CandidateSandbox {
  /** Prefix of every namespace a candidate uses. */
  public static final String NS_PREFIX = "kilnc-";

  /** The candidate's address on the user/attacker link. */
  public static final String CANDIDATE_ADDRESS = "198.19.1.1";

  /** Source addresses in the user namespace: users, attacker (fail2ban probe), negative probes. */
  public static final Map<String, String> SOURCES =
      Map.of("user", "198.19.1.10", "attacker", "198.19.1.11", "probe", "198.19.1.12");

  static final List<String> SOURCE_ORDER = List.of("user", "attacker", "probe");

  /** The emulator's address as the candidate sees it. */
  public static final String CONTROL_ADDRESS = "198.19.0.1";

  private static final Duration T = Duration.ofSeconds(20);

  /**
   * One way into the candidate from the host: a loopback port that arrives from {@code address}.
   */
  public record Source(String name, String address, int port, String socket, long hostPid) {}

  /**
   * Everything a candidate is made of; the caller persists it (instance.json, as JSON through its
   * public fields) after each change.
   */
  public static final class State {
    public String instanceId;
    public String shortId;
    public String amiId;
    public String region;
    public Path dir;
    public List<String> namespaces = new ArrayList<>();
    public List<Source> sources = new ArrayList<>();
    public String emulatorSocket;
    public long pid1;
    public String hostname;
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private CandidateSandbox() {}

  /** Random ids: {@code i-<17 hex>} and its first 8 hex digits as the short id. */
  static String[] newIds() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    String hex = HexFormat.of().formatHex(b).substring(0, 17);
    return new String[] {"i-" + hex, hex.substring(0, 8)};
  }

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
  public static State launch(
      Path cacheDir,
      String amiId,
      String region,
      String iamRole,
      Duration timeout,
      Consumer<State> persist,
      Consumer<String> log)
      throws KilnException {
    return launch(cacheDir, amiId, region, iamRole, timeout, true, persist, log);
  }

  /**
   * As above; without {@code emulator} the instance gets no AWS API emulator of its own (a group
   * instance: nothing probes its IAM users, and a moto per instance would cost a CPU-second and
   * ≈100 MB each). Its boot-time user sync then fails closed: no IAM user becomes local.
   */
  public static State launch(
      Path cacheDir,
      String amiId,
      String region,
      String iamRole,
      Duration timeout,
      boolean emulator,
      Consumer<State> persist,
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
    String[] ids = newIds();
    State s = new State();
    s.instanceId = ids[0];
    s.shortId = ids[1];
    s.amiId = amiId;
    s.region = region;
    s.dir = cacheDir.toAbsolutePath().resolve("candidates").resolve(s.shortId);
    s.hostname = "ip-" + CANDIDATE_ADDRESS.replace('.', '-');
    String pre = NS_PREFIX + s.shortId + "-";
    s.namespaces = List.of(pre + "usr", pre + "vm", pre + "ctl");
    persist.accept(s);
    long t0 = System.nanoTime();
    Consumer<String> step =
        m -> log.accept(m + " (+" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
    Thread[] background = {null};
    try {
      Files.createDirectories(s.dir);
      Netns ctl = Netns.create(pre + "ctl");
      Netns vm = Netns.create(pre + "vm");
      Netns usr = Netns.create(pre + "usr");
      Netns.link(ctl, "tovm", CONTROL_ADDRESS + "/30", vm, "ctl0", "198.19.0.2/30");
      Netns.link(usr, "tovm", SOURCES.get("user") + "/24", vm, "eth0", CANDIDATE_ADDRESS + "/24");
      for (String src : SOURCE_ORDER.subList(1, SOURCE_ORDER.size())) {
        Procs.check(
            List.of("ip", "-n", usr.name(), "addr", "add", SOURCES.get(src) + "/24", "dev", "tovm"),
            T);
      }
      step.accept("  namespaces " + String.join(", ", s.namespaces) + " created");

      // moto takes ≈2 s to start: boot the candidate meanwhile. Its first-boot sync finds an empty
      // emulator either way (no IAM users exist yet); verify runs the sync again.
      s.emulatorSocket = s.dir.resolve("emulator").resolve("emulator.sock").toString();
      persist.accept(s);
      java.util.concurrent.CompletableFuture<Object> emu =
          new java.util.concurrent.CompletableFuture<>();
      Thread starter =
          new Thread(
              () -> {
                try {
                  emu.complete(
                      Emulator.start(ledger(s), ctl, s.dir.resolve("emulator"), List.of()));
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

      Imds.start(ledger(s), vm, s.dir.resolve("imds.log"), region, iamRole, s.instanceId);
      step.accept("  IMDSv2 endpoint on " + Imds.ADDRESS + " in " + vm.name());

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
              + region
              + "\nKILN_EXEMPT_SOURCES="
              + SOURCES.get("user")
              + ","
              + SOURCES.get("probe")
              + "\n",
          StandardCharsets.UTF_8);
      List<Path> layers = List.of(store.layer(amiId), Path.of(image.base()));
      Files.writeString(run.resolve("sshd.argv"), sshdArgv(layers), StandardCharsets.UTF_8);
      Instance instance =
          Instance.start(
              ledger(s),
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

      for (String src : SOURCE_ORDER) {
        String sock = s.dir.resolve(src + ".sock").toString();
        ledger(s)
            .start(
                "socat-" + src,
                usr.exec(
                    List.of(
                        "socat",
                        "UNIX-LISTEN:" + sock + ",fork,mode=600",
                        "TCP:" + CANDIDATE_ADDRESS + ":22,bind=" + SOURCES.get(src))),
                s.dir.resolve(src + "-usr.log"),
                Map.of());
        Source source = hostListener(ledger(s), src, sock, s.dir);
        s.sources.add(source);
        persist.accept(s);
      }
      // The banner through the negative-probe source: a bare connection counts as a failure for
      // fail2ban, and the probes unban that source as needed, never the user source.
      step.accept("  loopback bridges for " + String.join(", ", SOURCE_ORDER));
      awaitBanner(source(s, "probe").port(), timeout, log, s);
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
      String console = consoleTail(s);
      List<String> removed = terminate(s);
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

  private static String consoleTail(State s) {
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
    try (InputStream in = CandidateSandbox.class.getResourceAsStream("/kiln/sandbox/" + name)) {
      if (in == null) {
        throw new IOException("missing resource kiln/sandbox/" + name);
      }
      Files.write(to, in.readAllBytes());
    }
  }

  /** Starts the host loopback listener for one source on a free port, retrying a lost race. */
  private static Source hostListener(Ledger ledger, String src, String sock, Path dir)
      throws KilnException {
    for (int attempt = 0; attempt < 5; attempt++) {
      int port;
      try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = ss.getLocalPort();
      } catch (IOException e) {
        throw new KilnException("no free loopback port: " + e.getMessage(), e);
      }
      // On record before it listens (the ledger's wrapper writes the entry, then execs socat), in
      // its own session, so a Ctrl-C to Maven does not take a kept candidate's door away.
      Process p =
          ledger.start(
              "listener-" + src + "-" + attempt,
              List.of(
                  "socat",
                  "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork",
                  "UNIX-CONNECT:" + sock),
              dir.resolve(src + "-host.log"),
              Map.of());
      // Readiness from the kernel's socket table, not by connecting: a connection would reach sshd
      // and count as a failure for fail2ban against this source.
      for (int i = 0; i < 100; i++) {
        if (!p.isAlive()) {
          break;
        }
        if (listening(port)) {
          return new Source(src, SOURCES.get(src), port, sock, p.pid());
        }
        sleep(20);
      }
      Procs.stop(p, Duration.ofSeconds(1));
    }
    throw new KilnException("could not start the loopback listener for " + src);
  }

  /** True when 127.0.0.1:port is in LISTEN state in this network namespace (/proc/net/tcp). */
  static boolean listening(int port) {
    String want = String.format(":%04X", port);
    try {
      for (String l : Files.readAllLines(Path.of("/proc/net/tcp"))) {
        String[] f = l.trim().split("\\s+");
        if (f.length > 3 && f[1].endsWith(want) && f[3].equals("0A")) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /** Waits until the candidate's SSH banner answers on 127.0.0.1:port, with a progress line. */
  static void awaitBanner(int port, Duration timeout, Consumer<String> log, State s)
      throws KilnException {
    SshBanner.await(
        "127.0.0.1",
        port,
        "the candidate " + s.instanceId,
        timeout,
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        log);
  }

  /** The first line the server sends on 127.0.0.1:port, or the error. */
  public static String banner(int port) {
    return SshBanner.read("127.0.0.1", port, Duration.ofSeconds(1));
  }

  /**
   * The command run inside the candidate (its mount, UTS, PID and network namespaces and its root):
   * {@code nsenter -t PID1 -m -u -p -n -r -w -- CMD}.
   */
  public static List<String> execIn(State s, List<String> cmd) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "nsenter", "-t", Long.toString(s.pid1), "-m", "-u", "-p", "-n", "-r", "-w", "--"));
    all.addAll(cmd);
    return all;
  }

  /** Runs a shell command inside the candidate, as root. */
  public static Procs.Result exec(State s, String shell, Duration timeout) throws KilnException {
    if (s.pid1 <= 0 || !running(s.pid1)) {
      throw new KilnException("the candidate " + s.instanceId + " is not running");
    }
    return Procs.run(execIn(s, List.of("/bin/sh", "-c", shell)), timeout, Map.of("LC_ALL", "C"));
  }

  /** Runs a command in one of the candidate's network namespaces with the host's tools. */
  public static Procs.Result execNetns(String ns, List<String> cmd, Duration timeout)
      throws KilnException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(cmd);
    return Procs.run(all, timeout, Map.of("LC_ALL", "C"));
  }

  /** The {@code -vm} namespace's name. */
  public static String vmNamespace(State s) {
    return NS_PREFIX + s.shortId + "-vm";
  }

  /** The {@code -usr} namespace's name. */
  public static String userNamespace(State s) {
    return NS_PREFIX + s.shortId + "-usr";
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
    String[] ids = newIds();
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

  /**
   * Removes everything the state names: host listeners (by PID, after checking that the PID is
   * still that listener), namespaces (every process inside is killed by PID), the directory. Safe
   * to call again and on a partial state.
   *
   * @return what was removed, for the report
   */
  public static List<String> terminate(State s) {
    List<String> removed = new ArrayList<>();
    Ledger.Stopped stopped =
        s.dir == null
            ? new Ledger.Stopped(List.of(), List.of())
            : ledger(s).stopAll(Duration.ofSeconds(2));
    for (Ledger.Entry e : stopped.gone()) {
      removed.add(
          s.sources.stream()
              .filter(x -> x.hostPid() == e.pid())
              .findFirst()
              .map(x -> "listener 127.0.0.1:" + x.port() + " (pid " + e.pid() + ")")
              .orElse("process " + e));
    }
    stopped.survivors().forEach(e -> removed.add("NOT removed, still running: process " + e));
    // states written before the ledger existed name the host listeners only here
    for (Source src : s.sources) {
      if (src.hostPid() > 0 && isOurListener(src.hostPid(), src.socket())) {
        Procs.signal(src.hostPid(), "TERM");
        waitGone(src.hostPid());
        removed.add("listener 127.0.0.1:" + src.port() + " (pid " + src.hostPid() + ")");
      }
    }
    List<String> existing = Netns.list();
    for (String ns : s.namespaces) {
      if (existing.contains(ns)) {
        int procs = countPids(ns);
        Netns.destroy(ns);
        removed.add("namespace " + ns + (procs > 0 ? " (" + procs + " processes)" : ""));
      }
    }
    if (s.pid1 > 0) {
      waitGone(s.pid1);
    }
    if (s.dir != null && Files.exists(s.dir) && stopped.survivors().isEmpty()) {
      Files2.deleteTree(s.dir);
      if (!Files.exists(s.dir)) {
        removed.add("directory " + s.dir);
      }
    }
    return removed;
  }

  private static int countPids(String ns) {
    try {
      Procs.Result r = Procs.run(List.of("ip", "netns", "pids", ns), T, Map.of());
      return (int) r.output().lines().filter(l -> l.strip().matches("\\d+")).count();
    } catch (KilnException e) {
      return 0;
    }
  }

  /** True when PID is a socat whose command line names our socket (PIDs get reused). */
  static boolean isOurListener(long pid, String socket) {
    try {
      byte[] cmd = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
      String c = new String(cmd, StandardCharsets.UTF_8).replace('\0', ' ');
      return c.contains("socat") && c.contains("UNIX-CONNECT:" + socket);
    } catch (IOException e) {
      return false;
    }
  }

  private static void waitGone(long pid) {
    for (int i = 0; i < 100 && running(pid); i++) {
      sleep(20);
    }
  }

  /**
   * True while PID runs. A zombie counts as gone: when the launching JVM has exited (a kept
   * candidate, a later Maven run) our processes' parent is whatever reaper adopted them.
   */
  static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      int close = stat.lastIndexOf(')');
      return close > 0
          && close + 2 < stat.length()
          && stat.charAt(close + 2) != 'Z'
          && stat.charAt(close + 2) != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  /** Where a candidate records every process it starts (its directory's {@code procs/}). */
  static Ledger ledger(State s) {
    return new Ledger(s.dir.resolve("procs"));
  }

  /** Every remaining trace of a candidate, for tests: namespaces, mounts, processes, directory. */
  public static List<String> leftovers(State s) {
    List<String> out = new ArrayList<>();
    if (s.dir != null) {
      ledger(s).alive().forEach(e -> out.add("process " + e));
    }
    List<String> existing = Netns.list();
    s.namespaces.stream().filter(existing::contains).forEach(n -> out.add("namespace " + n));
    try {
      String mounts = Files.readString(Path.of("/proc/mounts"));
      if (s.dir != null && mounts.contains(s.dir.toString())) {
        out.add("mount under " + s.dir);
      }
    } catch (IOException e) {
      // unreadable
    }
    for (Source src : s.sources) {
      if (isOurListener(src.hostPid(), src.socket())) {
        out.add("listener pid " + src.hostPid());
      }
    }
    if (s.pid1 > 0 && running(s.pid1)) {
      out.add("candidate pid " + s.pid1);
    }
    if (s.dir != null && Files.exists(s.dir)) {
      out.add("directory " + s.dir);
    }
    return out;
  }

  /** The source named {@code name} ({@code user}, {@code attacker}, {@code probe}). */
  public static Source source(State s, String name) throws KilnException {
    return s.sources.stream()
        .filter(x -> x.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new KilnException("the candidate has no source " + name));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
