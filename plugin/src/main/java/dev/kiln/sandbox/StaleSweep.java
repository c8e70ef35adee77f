package dev.kiln.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Removes what Kiln runs whose JVM died (SIGKILL, a crash) left behind, before a new sandbox
 * session starts: for each dead run, first its recorded processes ({@link Ledger}: an orphaned
 * Packer still provisioning, moto, the builder's sshd, forwarders), then its {@code kiln-<short>-*}
 * namespaces where they are visible, then its run directory. A run is dead when its owner (PID and
 * start time, in {@link RunLock} and in the run directory's {@code owner} file) no longer runs;
 * live runs of other JVMs are left alone. Candidates kept with {@code -Dkiln.keep} are not runs and
 * are not touched.
 */
public final class StaleSweep {
  /** A run directory without an owner file is an older Kiln's, or one being created: wait. */
  static final Duration OWNERLESS_AGE = Duration.ofMinutes(1);

  private StaleSweep() {}

  /** The owner file of a run directory. */
  static Path ownerFile(Path runDir) {
    return runDir.resolve("owner");
  }

  /** Records this JVM as the owner of {@code runDir}. */
  static void claim(Path runDir) throws IOException {
    Files.createDirectories(runDir);
    Files.writeString(ownerFile(runDir), Ledger.self() + "\n", StandardCharsets.US_ASCII);
  }

  /**
   * Sweeps dead runs registered on this machine and dead run directories under {@code
   * <cacheDir>/run}.
   *
   * @return what was removed, each only after it was seen gone
   */
  public static List<String> sweep(Path cacheDir) {
    List<String> removed = new ArrayList<>();
    for (String id : RunLock.all()) {
      if (RunLock.dead(id)) {
        removeRun(id, RunLock.runDir(id).orElse(null), removed);
        RunLock.release(id);
      }
    }
    Path runs = cacheDir.toAbsolutePath().resolve("run");
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(runs)) {
      s.filter(Files::isDirectory).forEach(dirs::add);
    } catch (IOException e) {
      // no run directory yet
    }
    for (Path d : dirs) {
      String id = String.valueOf(d.getFileName());
      if (deadRunDir(id, d)) {
        removeRun(id, d, removed);
        RunLock.release(id);
      }
    }
    return removed;
  }

  private static boolean deadRunDir(String id, Path d) {
    Path owner = ownerFile(d);
    if (Files.isRegularFile(owner)) {
      try {
        return Ledger.ownerDead(Files.readString(owner, StandardCharsets.US_ASCII));
      } catch (IOException e) {
        return false;
      }
    }
    if (RunLock.registered(id)) {
      return RunLock.dead(id);
    }
    try {
      return Files.getLastModifiedTime(d).toInstant().isBefore(Instant.now().minus(OWNERLESS_AGE));
    } catch (IOException e) {
      return false;
    }
  }

  /** Processes first (they hold the namespaces and write into the directory), then the rest. */
  private static void removeRun(String id, Path runDir, List<String> removed) {
    if (runDir != null) {
      Ledger.Stopped s = new Ledger(runDir.resolve("procs")).stopAll(Duration.ofSeconds(5));
      s.gone().forEach(e -> removed.add("process " + e + " of run " + id));
      s.survivors().forEach(e -> removed.add("NOT removed: process " + e + " of run " + id));
      if (!s.survivors().isEmpty()) {
        return; // keep the directory and its ledger for the next sweep
      }
    }
    if (id.matches("[a-z0-9]{1,16}")) {
      for (String ns : Netns.list()) {
        if (ns.startsWith("kiln-" + id + "-")) {
          Netns.destroy(ns);
          if (!Netns.list().contains(ns)) {
            removed.add("namespace " + ns);
          }
        }
      }
    }
    if (runDir != null && Files.exists(runDir)) {
      Files2.deleteTree(runDir);
      if (!Files.exists(runDir)) {
        removed.add("run directory " + runDir);
      }
    }
  }
}
