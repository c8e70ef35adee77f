package dev.kiln.launch;

import dev.kiln.cloud.Candidate;
import dev.kiln.cloud.CandidateRecords;
import dev.kiln.cloud.Clouds;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The engine of {@code kiln:terminate}: removes the candidates the project's records name, those of
 * the project that only the cache directory still records (after {@code mvn clean}), or, with
 * {@code -Dkiln.terminate.all}, every candidate recorded on the machine.
 */
public final class Termination {
  /**
   * How the clouds say a resource outlived its removal (a process alive after SIGKILL, an instance
   * EC2 refused to terminate): the candidate's records are then kept, so that the next {@code
   * kiln:terminate} tries again, and the goal fails naming what is left.
   */
  public static final String NOT_REMOVED = "NOT removed";

  private Termination() {}

  /**
   * Removes every candidate recorded under {@code outputDir}, then those of this project recorded
   * only in {@code copies} (null: the default cache directory's); returns what was removed.
   */
  public static List<String> terminate(
      Path outputDir, CandidateRecords copies, Consumer<String> log) throws KilnException {
    List<String> removed = new ArrayList<>();
    boolean any = false;
    for (Path record : records(outputDir)) {
      Optional<Candidate> c = Candidate.read(record);
      if (c.isPresent() && !c.get().isTerminated()) {
        any = true;
        removed.addAll(terminate(record, c.get(), log));
      }
    }
    CandidateRecords cache =
        copies != null ? copies : new CandidateRecords(SandboxSettings.defaultCacheDir());
    for (CandidateRecords.Entry e : cache.ofProject(outputDir)) {
      any = true;
      log.accept(
          "Candidate "
              + e.candidate().instanceId()
              + " of this project is recorded only in "
              + e.file()
              + " (its record in "
              + outputDir
              + " is gone, e.g. after mvn clean)");
      removed.addAll(terminateCopy(e, log));
    }
    if (!any) {
      Path record = outputDir.resolve(Launcher.RECORD);
      log.accept(
          "No candidate to terminate ("
              + record
              + (Files.isRegularFile(record) ? " says terminated)" : " does not exist)"));
    }
    Launcher.HOOKED.remove(outputDir.toAbsolutePath().normalize());
    return failIfLeft(removed);
  }

  /**
   * {@code -Dkiln.terminate.all}: lists and removes every candidate {@code copies} records, of
   * whichever project; returns what was removed.
   */
  public static List<String> terminateAll(CandidateRecords copies, Consumer<String> log)
      throws KilnException {
    List<CandidateRecords.Entry> all = copies.live();
    if (all.isEmpty()) {
      log.accept("No candidate recorded on this machine");
      return List.of();
    }
    log.accept("Candidates recorded on this machine (" + all.size() + "):");
    for (CandidateRecords.Entry e : all) {
      Candidate c = e.candidate();
      log.accept(
          "  - "
              + c.instanceId()
              + " of "
              + c.amiId()
              + " ("
              + c.cloud()
              + (c.keep() ? ", kept" : "")
              + ", "
              + c.state()
              + (c.host() == null ? "" : ", " + c.host() + ":" + c.port())
              + ") launched "
              + c.launchedAt()
              + " by "
              + c.project());
    }
    List<String> removed = new ArrayList<>();
    for (CandidateRecords.Entry e : all) {
      removed.addAll(terminateCopy(e, log));
    }
    return failIfLeft(removed);
  }

  /** {@code removed}, or a failure naming what is still there (every candidate was tried). */
  private static List<String> failIfLeft(List<String> removed) throws KilnException {
    List<String> left = left(removed);
    if (!left.isEmpty()) {
      throw new KilnException(
          left.size()
              + " resource(s) could not be removed; the candidates' records are kept, so"
              + " kiln:terminate tries them again: "
              + String.join("; ", left));
    }
    return removed;
  }

  /** The lines of {@code removed} that say something is still there. */
  private static List<String> left(List<String> removed) {
    return removed.stream().filter(r -> r.contains(NOT_REMOVED)).toList();
  }

  /** Runs the check once with nothing to check (see {@link Launcher}'s shutdown hook). */
  static void warmUp() {
    left(List.of());
  }

  /** Removes the candidate of a copy; its project record, when it still exists, says so too. */
  private static List<String> terminateCopy(CandidateRecords.Entry e, Consumer<String> log)
      throws KilnException {
    Candidate c = e.candidate();
    Path record = c.record() == null ? null : Path.of(c.record());
    Optional<Candidate> there = record == null ? Optional.empty() : Candidate.read(record);
    if (there.isPresent()
        && !there.get().isTerminated()
        && String.valueOf(c.instanceId()).equals(there.get().instanceId())) {
      return terminate(record, there.get(), log);
    }
    List<String> removed = Clouds.of(c).terminate(c);
    if (left(removed).isEmpty()) {
      CandidateRecords.forget(e.file());
    }
    report(c, removed, log);
    return removed;
  }

  /** Removes the candidate one record names (a launch that failed half-way). */
  static void terminateRecord(Path record, Consumer<String> log) throws KilnException {
    Optional<Candidate> c = Candidate.read(record);
    if (c.isPresent() && !c.get().isTerminated()) {
      failIfLeft(terminate(record, c.get(), log));
    }
  }

  /** The candidate records under {@code outputDir}: the single one, then {@code instances/}. */
  public static List<Path> records(Path outputDir) throws KilnException {
    List<Path> out = new ArrayList<>();
    if (Files.isRegularFile(outputDir.resolve(Launcher.RECORD))) {
      out.add(outputDir.resolve(Launcher.RECORD));
    }
    Path dir = outputDir.resolve(Launcher.RECORDS_DIR);
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        files
            .filter(f -> String.valueOf(f.getFileName()).endsWith(".json"))
            .sorted()
            .forEach(out::add);
      } catch (IOException e) {
        throw new KilnException("cannot list " + dir + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static List<String> terminate(Path record, Candidate c, Consumer<String> log)
      throws KilnException {
    List<String> removed = Clouds.of(c).terminate(c);
    if (!left(removed).isEmpty()) {
      // Still running (or still there): the records stay as they are, for the next try.
      report(c, removed, log);
      return removed;
    }
    c.terminated(removed).write(record);
    if (c.cacheRecord() != null) {
      CandidateRecords.forget(Path.of(c.cacheRecord()));
    }
    try {
      String name = String.valueOf(record.getFileName());
      Files.deleteIfExists(
          record.resolveSibling(
              name.equals(Launcher.RECORD)
                  ? Launcher.PROPERTIES
                  : name.substring(0, name.length() - ".json".length()) + ".properties"));
    } catch (IOException e) {
      // stale properties only
    }
    report(c, removed, log);
    return removed;
  }

  private static void report(Candidate c, List<String> removed, Consumer<String> log) {
    if (removed.isEmpty()) {
      log.accept("Candidate " + c.instanceId() + " was already gone");
    } else {
      log.accept("Terminated candidate " + c.instanceId() + "; removed:");
      removed.forEach(r -> log.accept("  - " + r));
    }
  }
}
