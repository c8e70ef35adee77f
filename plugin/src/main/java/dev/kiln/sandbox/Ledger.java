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
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A directory of PID files, one per process the sandbox starts: {@code <name>.pid} holds the PID
 * and the process's start time ({@code /proc/PID/stat} field 22). It is what terminate and the
 * stale sweep kill by, so they do not depend on a network namespace's {@code /run/netns} mount
 * being visible (Maven under {@code unshare -m}, {@code ip netns exec}, systemd's {@code
 * PrivateMounts=}), and a PID the kernel handed to another process since is never signalled.
 *
 * <p>The process writes its own entry before it execs the real command ({@link #SCRIPT}), so a
 * listener is on record before it listens, even when the JVM is killed right after starting it.
 * Each process also gets its own session ({@code setsid}): its group holds whatever it forks (socat
 * per connection, Packer's plugins), and a Ctrl-C to Maven's terminal does not reach it (Kiln stops
 * it, in order).
 */
public final class Ledger {
  /** Records {@code $$} and its start time in {@code $1}, then execs {@code setsid "$@"}. */
  static final String SCRIPT =
      """
      f=$1; shift
      read -r s < /proc/$$/stat
      s=${s##*) }
      i=0; t=; for x in $s; do i=$((i+1)); if [ $i -eq 20 ]; then t=$x; break; fi; done
      printf '%s %s\\n' "$$" "$t" > "$f.tmp" && mv -f "$f.tmp" "$f" || exit 125
      exec setsid "$@"
      """;

  /** One recorded process. */
  public record Entry(String name, long pid, long startTime) {
    @Override
    public String toString() {
      return name + " (pid " + pid + ")";
    }
  }

  private final Path dir;

  public Ledger(Path dir) {
    this.dir = dir.toAbsolutePath();
  }

  public Path dir() {
    return dir;
  }

  /**
   * {@code cmd} wrapped so that the process records itself as {@code name} before it runs: the
   * wrapper execs, so the PID stays the one {@link Process#pid()} reports.
   */
  public List<String> wrap(String name, List<String> cmd) throws KilnException {
    if (!name.matches("[A-Za-z0-9._-]{1,80}")) {
      throw new KilnException("bad ledger entry name " + name);
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new KilnException("cannot create the process ledger " + dir + ": " + e.getMessage(), e);
    }
    List<String> all = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, "kiln-track"));
    all.add(dir.resolve(name + ".pid").toString());
    all.addAll(cmd);
    return all;
  }

  /**
   * Starts {@code cmd} recorded as {@code name} (output to {@code log}) and waits until its entry
   * is written.
   */
  public Process start(String name, List<String> cmd, Path log, Map<String, String> env)
      throws KilnException {
    Process p = Procs.start(wrap(name, cmd), log, env);
    Path f = dir.resolve(name + ".pid");
    for (int i = 0; i < 500 && p.isAlive() && read(f).isEmpty(); i++) {
      sleep(4);
    }
    return p;
  }

  /** Every entry on file (its process may be gone). */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> String.valueOf(p.getFileName()).endsWith(".pid"))
          .sorted()
          .forEach(p -> read(p).ifPresent(out::add));
    } catch (IOException e) {
      // no ledger: nothing recorded
    }
    return out;
  }

  private static Optional<Entry> read(Path f) {
    try {
      String[] parts = Files.readString(f, StandardCharsets.US_ASCII).trim().split("\\s+");
      String file = String.valueOf(f.getFileName());
      return Optional.of(
          new Entry(
              file.substring(0, file.length() - 4),
              Long.parseLong(parts[0]),
              Long.parseLong(parts[1])));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The processes of an entry that still run: the process itself, and its group's members. */
  static List<Long> members(Entry e, List<ProcStat> table) {
    List<Long> out = new ArrayList<>();
    for (ProcStat p : table) {
      if (!p.running()) {
        continue;
      }
      if (p.pid() == e.pid() ? p.startTime() == e.startTime() : inGroup(p, e)) {
        out.add(p.pid());
      }
    }
    return out;
  }

  /** What it forked into its own group (setsid made it the leader), started after it. */
  private static boolean inGroup(ProcStat p, Entry e) {
    return p.pgrp() == e.pid() && p.startTime() >= e.startTime();
  }

  private static boolean anyRunning(List<Entry> entries) {
    List<ProcStat> table = ProcStat.all();
    return entries.stream().anyMatch(e -> !members(e, table).isEmpty());
  }

  /** Entries with a process still running. */
  public List<Entry> alive() {
    List<ProcStat> table = ProcStat.all();
    return entries().stream().filter(e -> !members(e, table).isEmpty()).toList();
  }

  /**
   * Loads what {@link #stopAll} needs (the process table's record among them). Maven closes a
   * plugin's class loader before the JVM runs its shutdown hooks, so terminate at JVM exit cannot
   * load a class it first needs there: whoever registers such a hook calls this first.
   */
  public static Stopped warmUp() {
    // An empty ledger (a directory /proc cannot hold): stopAll runs through and stops nothing.
    return new Ledger(Path.of("/proc/kiln-no-ledger")).stopAll(Duration.ZERO);
  }

  /** The outcome of {@link #stopAll}: what ran and was seen gone, and what still runs. */
  public record Stopped(List<Entry> gone, List<Entry> survivors) {}

  /**
   * Stops every recorded process and its group: SIGTERM, then SIGKILL after {@code grace}; an entry
   * is reported gone (and its file deleted) only after none of its processes runs.
   */
  public Stopped stopAll(Duration grace) {
    List<ProcStat> before = ProcStat.all();
    List<Entry> recorded = entries();
    // entries whose processes are gone already need no report, only their files removed
    for (Entry e : recorded) {
      if (members(e, before).isEmpty()) {
        deleteEntry(e);
      }
    }
    List<Entry> all = recorded.stream().filter(e -> !members(e, before).isEmpty()).toList();
    for (Entry e : all) {
      signal(e, "TERM");
    }
    long deadline = System.nanoTime() + grace.toNanos();
    while (System.nanoTime() < deadline && anyRunning(all)) {
      sleep(20);
    }
    for (Entry e : all) {
      signal(e, "KILL");
    }
    long killDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < killDeadline && anyRunning(all)) {
      sleep(20);
    }
    List<Entry> gone = new ArrayList<>();
    List<Entry> survivors = new ArrayList<>();
    List<ProcStat> table = ProcStat.all();
    for (Entry e : all) {
      if (members(e, table).isEmpty()) {
        gone.add(e);
        deleteEntry(e);
      } else {
        survivors.add(e);
      }
    }
    return new Stopped(gone, survivors);
  }

  private void deleteEntry(Entry e) {
    try {
      Files.deleteIfExists(dir.resolve(e.name() + ".pid"));
    } catch (IOException x) {
      // a stale entry is harmless: its start time no longer matches anything
    }
  }

  private static void signal(Entry e, String sig) {
    for (long pid : members(e, ProcStat.all())) {
      Procs.signal(pid, sig);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The fields of {@code /proc/PID/stat} the ledger needs. */
  record ProcStat(long pid, char state, long pgrp, long startTime) {
    /** Running: a zombie has exited (its parent, maybe long gone, has yet to reap it). */
    boolean running() {
      return state != 'Z' && state != 'X';
    }

    static Optional<ProcStat> of(long pid) {
      try {
        return parse(pid, Files.readString(Path.of("/proc/" + pid + "/stat")));
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    static Optional<ProcStat> parse(long pid, String stat) {
      int close = stat.lastIndexOf(')');
      if (close < 0 || close + 2 >= stat.length()) {
        return Optional.empty();
      }
      // after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt
      // cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
      String[] f = stat.substring(close + 2).trim().split("\\s+");
      if (f.length < 20) {
        return Optional.empty();
      }
      try {
        return Optional.of(
            new ProcStat(pid, f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[19])));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }

    static List<ProcStat> all() {
      List<ProcStat> out = new ArrayList<>();
      try (Stream<Path> s = Files.list(Path.of("/proc"))) {
        s.map(p -> String.valueOf(p.getFileName()))
            .filter(n -> n.matches("\\d+"))
            .map(Long::parseLong)
            .map(ProcStat::of)
            .flatMap(Optional::stream)
            .forEach(out::add);
      } catch (IOException e) {
        // no /proc
      }
      return out;
    }
  }

  /** True when {@code pid} runs and started at {@code startTime} (not a reused PID). */
  public static boolean runs(long pid, long startTime) {
    return ProcStat.of(pid).filter(p -> p.startTime() == startTime && p.running()).isPresent();
  }

  /** This JVM's {@code pid startTime}, for owner files. */
  static String self() {
    long pid = ProcessHandle.current().pid();
    long start =
        ProcStat.of(pid).map(ProcStat::startTime).orElseThrow(() -> new IllegalStateException());
    return pid + " " + start;
  }

  /** True when an owner line ({@link #self()}) names a process that no longer runs. */
  static boolean ownerDead(String line) {
    String[] p = Objects.requireNonNull(line).trim().split("\\s+");
    try {
      if (p.length >= 2) {
        return !runs(Long.parseLong(p[0]), Long.parseLong(p[1]));
      }
      // an older run recorded the PID alone
      return !ProcessHandle.of(Long.parseLong(p[0])).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
