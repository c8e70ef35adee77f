package dev.kiln.cloud;

import dev.kiln.render.Json;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Copies of the candidate records under the cache directory ({@code <cacheDir>/launched/}), beside
 * the project's {@code target/}: {@code kiln:terminate} after {@code mvn clean} still finds the
 * project's candidates, {@code -Dkiln.terminate.all} every candidate on the machine, and the
 * sandbox's prune the images they run. A copy is removed once its candidate is terminated.
 */
public final class CandidateRecords {
  public static final String DIR = "launched";

  private final Path dir;

  public CandidateRecords(Path cacheDir) {
    this.dir = cacheDir.toAbsolutePath().normalize().resolve(DIR);
  }

  /** The records of the cache directory {@code s} names (the default one when unset). */
  public static CandidateRecords of(CloudSettings s) {
    return new CandidateRecords(
        s.sandboxCacheDir() != null ? s.sandboxCacheDir() : SandboxSettings.defaultCacheDir());
  }

  /** A copy and the candidate it holds. */
  public record Entry(Path file, Candidate candidate) {}

  /** Where the copy of the project record {@code record} lives (one file per record path). */
  public Path copyOf(Path record) {
    String key = record.toAbsolutePath().normalize().toString();
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return dir.resolve(HexFormat.of().formatHex(h, 0, 10) + ".json");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Every recorded candidate that is not terminated, oldest launch first. */
  public List<Entry> live() throws KilnException {
    List<Entry> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        Candidate c = Candidate.read(f).orElse(null);
        if (c != null && !c.isTerminated()) {
          out.add(new Entry(f, c));
        }
      }
    } catch (IOException e) {
      throw new KilnException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    out.sort(
        java.util.Comparator.comparing(
            (Entry e) -> String.valueOf(e.candidate().launchedAt()),
            java.util.Comparator.naturalOrder()));
    return out;
  }

  /** The live candidates that the project writing to {@code outputDir} launched. */
  public List<Entry> ofProject(Path outputDir) throws KilnException {
    String project = outputDir.toAbsolutePath().normalize().toString();
    return live().stream().filter(e -> project.equals(e.candidate().project())).toList();
  }

  /** Removes a copy (its candidate is gone). */
  public static void forget(Path copy) {
    try {
      Files.deleteIfExists(copy);
    } catch (IOException e) {
      System.err.println("[kiln] cannot remove " + copy + ": " + e.getMessage());
    }
  }

  /** Writes the candidate to its project record and to the copy it names. */
  public static void save(Path record, Candidate c) throws KilnException {
    c.write(record);
    if (c.cacheRecord() != null) {
      Json.save(Path.of(c.cacheRecord()), c);
    }
  }
}
