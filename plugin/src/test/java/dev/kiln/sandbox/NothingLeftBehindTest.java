package dev.kiln.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.exec.Procs;
import dev.kiln.probe.SandboxPipelineTest;
import dev.kiln.render.Json;
import dev.kiln.spec.KilnSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Killing and cleaning up as a careful operator would, each followed by a search for anything left:
 * the JVMs that launch, bake and terminate run under {@code unshare -m}, so the {@code /run/netns}
 * mounts of the namespaces they create are visible to no other process (as under systemd's {@code
 * PrivateMounts=} or {@code ip netns exec}); only the {@link Ledger} finds the processes.
 */
class NothingLeftBehindTest {
  @TempDir Path tmp;

  /** A child JVM ({@link SandboxChildMain}) in a private mount namespace. */
  private static Process child(String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "unshare",
                "-m",
                "--propagation",
                "private",
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SandboxChildMain.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** Echoes the child's output until {@code marker}; the rest is echoed in the background. */
  private static List<String> await(Process p, String marker) throws Exception {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    String line;
    while ((line = r.readLine()) != null) {
      System.out.println("[child] " + line);
      lines.add(line);
      if (line.equals(marker)) { // null: to the end
        Thread t = new Thread(() -> r.lines().forEach(l -> System.out.println("[child] " + l)));
        t.setDaemon(true);
        t.start();
        return lines;
      }
    }
    if (marker == null && p.waitFor() == 0) {
      return lines;
    }
    throw new AssertionError("the child exited before " + marker + " (exit " + p.waitFor() + ")");
  }

  private static CandidateState state(Path f) throws IOException {
    return Json.parse(Files.readString(f), CandidateState.class);
  }

  private String ami() throws Exception {
    Path out = tmp.resolve("target/kiln");
    return SandboxPipelineTest.bake(KilnSpec.parse(SandboxPipelineTest.config(out, null), tmp));
  }

  /**
   * What a run or candidate consists of, taken from its ledger while it runs: the recorded
   * processes, the network namespaces they are in (by inode: the names are not visible here) and
   * the loopback ports its listeners bound.
   */
  record Traces(List<Ledger.Entry> entries, Set<String> netns, Set<Integer> ports, Path dir) {
    static Traces of(Path ledgerDir, Path dir) throws IOException {
      List<Ledger.Entry> entries = new Ledger(ledgerDir).entries();
      String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
      Set<String> netns = new HashSet<>();
      Set<Integer> ports = new HashSet<>();
      Pattern listen = Pattern.compile("TCP-LISTEN:(\\d+)");
      for (Ledger.Entry e : entries) {
        try {
          String ns = Files.readSymbolicLink(Path.of("/proc/" + e.pid() + "/ns/net")).toString();
          if (!ns.equals(host)) {
            netns.add(ns);
          }
          String cmd = Files.readString(Path.of("/proc/" + e.pid() + "/cmdline"));
          Matcher m = listen.matcher(cmd);
          if (m.find()) {
            ports.add(Integer.parseInt(m.group(1)));
          }
        } catch (IOException gone) {
          // already gone: nothing to look for
        }
      }
      return new Traces(entries, netns, ports, dir);
    }

    /** Whatever of it is still there. */
    List<String> left() throws IOException {
      List<String> out = new ArrayList<>();
      List<Ledger.ProcStat> table = Ledger.ProcStat.all();
      for (Ledger.Entry e : entries) {
        if (!Ledger.members(e, table).isEmpty()) {
          out.add("process " + e);
        }
      }
      try (Stream<Path> s = Files.list(Path.of("/proc"))) {
        for (Path p : s.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
          try {
            String ns = Files.readSymbolicLink(p.resolve("ns/net")).toString();
            if (netns.contains(ns)) {
              out.add("process " + p.getFileName() + " in namespace " + ns);
            }
            String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
            if (cmd.contains(dir.toString())) {
              out.add("process " + p.getFileName() + ": " + cmd);
            }
          } catch (IOException gone) {
            // exited meanwhile
          }
        }
      }
      for (int port : ports) {
        if (CandidateBridges.listening(port)) {
          out.add("listener 127.0.0.1:" + port);
        }
      }
      if (Files.exists(dir)) {
        out.add("directory " + dir);
      }
      return out;
    }
  }

  @Test
  void keptCandidateOfAPrivateMountNamespaceIsRemovedByTerminateFromAnother() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    String ami = ami();
    Path stateFile = tmp.resolve("state.json");
    Process launch =
        child("launch", SandboxSettings.defaultCacheDir().toString(), ami, stateFile.toString());
    await(launch, "LAUNCHED");
    assertThat(launch.waitFor(60, TimeUnit.SECONDS)).isTrue();
    CandidateState s = state(stateFile);
    // the blind spot: the names are listed (/run/netns is on disk) but not mounted here, so
    // 'ip netns pids' finds nothing in them while the candidate runs
    for (String ns : s.namespaces) {
      assertThat(Procs.run(List.of("ip", "netns", "pids", ns), Duration.ofSeconds(10), Map.of()))
          .extracting(Procs.Result::output)
          .matches(o -> !o.matches("(?s).*\\d.*"), "no PIDs");
    }
    assertThat(CandidateBridges.banner(s.source("user").port())).startsWith("SSH-2.0-");
    Traces t = Traces.of(s.dir.resolve("procs"), s.dir);
    assertThat(t.netns()).hasSizeGreaterThanOrEqualTo(2); // ctl (moto) and vm (IMDS, candidate)
    assertThat(t.ports()).hasSize(3);
    assertThat(t.left()).isNotEmpty();

    Process term = child("terminate", stateFile.toString());
    List<String> out = await(term, "removed directory " + s.dir);
    assertThat(term.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(term.exitValue()).isZero();
    assertThat(out).anyMatch(l -> l.startsWith("removed listener 127.0.0.1:"));
    assertThat(out).anyMatch(l -> l.startsWith("removed process moto-"));
    assertThat(out).noneMatch(l -> l.contains("NOT removed"));
    assertThat(t.left()).isEmpty();
    assertThat(CandidateCleanup.leftovers(s)).isEmpty();
  }

  @Test
  void sigkillAtTheLoopbackBridgeStepLeavesNoListener() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    String ami = ami();
    Path stateFile = tmp.resolve("state.json");
    Process launch =
        child("launch", SandboxSettings.defaultCacheDir().toString(), ami, stateFile.toString());
    Thread echo =
        new Thread(
            () ->
                new BufferedReader(
                        new InputStreamReader(launch.getInputStream(), StandardCharsets.UTF_8))
                    .lines()
                    .forEach(l -> System.out.println("[child] " + l)));
    echo.setDaemon(true);
    echo.start();
    // kill -9 the moment the first host listener is on record: socat is being exec'd
    Path entry = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline && launch.isAlive()) {
      if (entry == null && Files.isRegularFile(stateFile)) {
        entry = state(stateFile).dir.resolve("procs/listener-user-0.pid");
      }
      if (entry != null && Files.exists(entry)) {
        new ProcessBuilder("kill", "-KILL", Long.toString(launch.pid())).start().waitFor();
        break;
      }
      Thread.sleep(1);
    }
    assertThat(launch.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(launch.exitValue()).isEqualTo(137);
    CandidateState s = state(stateFile);
    Thread.sleep(500); // socat gets to listen: the leak the ledger has to catch
    Traces t = Traces.of(s.dir.resolve("procs"), s.dir);
    assertThat(t.ports()).isNotEmpty();
    assertThat(t.left()).isNotEmpty();

    List<String> removed = CandidateCleanup.terminate(s);
    System.out.println("removed " + removed);
    assertThat(removed).noneMatch(l -> l.contains("NOT removed"));
    assertThat(t.left()).isEmpty();
    assertThat(CandidateCleanup.leftovers(s)).isEmpty();
  }

  @Test
  void sweepAfterAKilledBakeStopsItsProcessesAndRemovesItsRunDirectory() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    Path cache = tmp.resolve("cache");
    // an older Kiln's run directory: no owner, untouched for a while (the child's own sweep takes
    // it)
    Path legacy = cache.resolve("run/0ldc0de5");
    Files.createDirectories(legacy.resolve("b1/upper"));
    Files.setLastModifiedTime(legacy, FileTime.from(Instant.now().minus(Duration.ofMinutes(5))));
    // a live run's directory (this JVM owns it): never touched
    Path live = cache.resolve("run/1ive0000");
    StaleSweep.claim(live);

    Process session = child("session", cache.toString());
    List<String> lines = await(session, "READY");
    String[] run =
        lines.stream().filter(l -> l.startsWith("RUN ")).findFirst().orElseThrow().split(" ");
    Path runDir = Path.of(run[2]);
    // The stand-in records itself in its wrapper, just before it execs: READY can come first.
    Traces t = Traces.of(runDir.resolve("procs"), runDir);
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (t.entries().stream().noneMatch(e -> e.name().equals("packer-standin"))
        && System.nanoTime() < until) {
      Thread.sleep(50);
      t = Traces.of(runDir.resolve("procs"), runDir);
    }
    assertThat(t.entries())
        .extracting(Ledger.Entry::name)
        .anyMatch(n -> n.startsWith("moto-"))
        .anyMatch(n -> n.startsWith("instance-"))
        .contains("packer-standin");
    new ProcessBuilder("kill", "-KILL", Long.toString(session.pid())).start().waitFor();
    assertThat(session.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(t.left()).isNotEmpty(); // moto, the builder and "Packer" outlive their JVM

    List<String> swept = StaleSweep.sweep(cache);
    System.out.println("swept " + swept);
    assertThat(swept)
        .contains("run directory " + runDir)
        .anyMatch(l -> l.startsWith("process packer-standin"))
        .noneMatch(l -> l.contains("NOT removed"));
    assertThat(t.left()).isEmpty();
    assertThat(RunLock.registered(run[1])).isFalse();
    assertThat(legacy).doesNotExist();
    assertThat(live).isDirectory();
  }

  /** A cache directory of its own (image store, runs) on the user's cached bases. */
  private Path ownCache(String name) throws IOException {
    Path userBase = SandboxSettings.defaultCacheDir().resolve("base");
    Path cache = tmp.resolve(name);
    Files.createDirectories(cache);
    Files.createSymbolicLink(cache.resolve("base"), userBase);
    return cache;
  }

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM", "KILL"})
  void aSignalRightAfterPackerBuiltLeavesNoStoreEntryAndNoRun(String signal) throws Exception {
    SandboxPipelineTest.assumeSandbox();
    Path cache = ownCache("cache-" + signal);
    // a complete bake first: the store is not empty, and what is in it stays
    Process first = plainChild("bake", tmp.resolve("out-first").toString(), cache.toString());
    List<String> firstOut = await(first, null);
    String kept =
        firstOut.stream()
            .filter(l -> l.startsWith("BAKED "))
            .findFirst()
            .orElseThrow()
            .substring("BAKED ".length());
    ImageStore store = new ImageStore(cache);
    assertThat(store.get(kept)).isPresent();

    Process bake = plainChild("bake", tmp.resolve("out").toString(), cache.toString());
    BufferedReader r =
        new BufferedReader(new InputStreamReader(bake.getInputStream(), StandardCharsets.UTF_8));
    List<String> out = new ArrayList<>();
    String ami = null;
    Path runDir = null;
    String line;
    while ((line = r.readLine()) != null) {
      System.out.println("[child] " + line);
      out.add(line);
      Matcher m = Pattern.compile("Packer built (ami-[0-9a-f]+)").matcher(line);
      if (m.find()) {
        ami = m.group(1);
        runDir = ownedRunDir(cache, bake.pid());
        new ProcessBuilder("kill", "-" + signal, Long.toString(bake.pid())).start().waitFor();
        break;
      }
    }
    assertThat(ami).as("Packer built").isNotNull();
    Traces t = Traces.of(runDir.resolve("procs"), runDir);
    r.lines()
        .forEach(
            l -> {
              System.out.println("[child] " + l);
              out.add(l);
            });
    assertThat(bake.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(out)
        .noneMatch(l -> l.contains("Connection refused"))
        .noneMatch(l -> l.startsWith("BAKED"));
    if (signal.equals("KILL")) {
      // what the next bake's sweeps do first
      System.out.println("swept " + StaleSweep.sweep(cache));
    }
    List<String> log = new ArrayList<>();
    store.sweep(log::add);
    assertThat(log).isEmpty(); // nothing incomplete ever entered the store
    assertThat(store.get(ami)).isEmpty();
    assertThat(store.dir().resolve(ami)).doesNotExist();
    assertThat(store.list()).extracting(ImageStore.Entry::id).containsExactly(kept);
    assertThat(store.list()).allMatch(e -> e.tags().keySet().containsAll(ImageStore.REQUIRED_TAGS));
    assertThat(t.left()).isEmpty();
    try (Stream<Path> s = Files.list(cache.resolve("run"))) {
      assertThat(s.toList()).isEmpty();
    }
  }

  /** The run directory whose owner file names {@code pid}. */
  private static Path ownedRunDir(Path cache, long pid) throws IOException {
    try (Stream<Path> s = Files.list(cache.resolve("run"))) {
      for (Path d : s.toList()) {
        Path owner = StaleSweep.ownerFile(d);
        if (Files.isRegularFile(owner) && Files.readString(owner).startsWith(pid + " ")) {
          return d;
        }
      }
    }
    throw new AssertionError("no run directory of " + pid);
  }

  /** A child JVM in the host's mount namespace. */
  private static Process plainChild(String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SandboxChildMain.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }
}
