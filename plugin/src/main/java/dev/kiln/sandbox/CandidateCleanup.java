package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
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
 * Removes a candidate by what its {@link CandidateState} names, and finds what is left of one.
 * Works from a later JVM than the one that launched it ({@code kiln:terminate}, a kept candidate).
 */
public final class CandidateCleanup {
  private CandidateCleanup() {}

  /**
   * Removes everything the state names: host listeners (by PID, after checking that the PID is
   * still that listener), namespaces (every process inside is killed by PID), the directory. Safe
   * to call again and on a partial state.
   *
   * @return what was removed, for the report
   */
  public static List<String> terminate(CandidateState s) {
    List<String> removed = new ArrayList<>();
    Ledger.Stopped stopped =
        s.dir == null
            ? new Ledger.Stopped(List.of(), List.of())
            : s.ledger().stopAll(Duration.ofSeconds(2));
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
    for (CandidateState.Source src : s.sources) {
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

  /** Every remaining trace of a candidate, for tests: namespaces, mounts, processes, directory. */
  public static List<String> leftovers(CandidateState s) {
    List<String> out = new ArrayList<>();
    if (s.dir != null) {
      s.ledger().alive().forEach(e -> out.add("process " + e));
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
    for (CandidateState.Source src : s.sources) {
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

  private static int countPids(String ns) {
    try {
      Procs.Result r = Procs.run(List.of("ip", "netns", "pids", ns), CandidateNetwork.T, Map.of());
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
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
}
