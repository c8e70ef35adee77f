package dev.kiln.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code /run/kiln/<runid-short>.pid}: which JVM (PID and start time) owns the namespaces named
 * {@code kiln-<short>-*}, and where its run directory is. Lets a later run remove what a killed run
 * left behind ({@link StaleSweep}), whatever cache directory that run used.
 */
public final class RunLock {
  static final Path DIR = Path.of("/run/kiln");

  private RunLock() {}

  /** Registers this JVM as the owner of {@code shortId}, whose run directory is {@code runDir}. */
  public static void register(String shortId, Path runDir) throws IOException {
    Files.createDirectories(DIR);
    Path f = DIR.resolve(shortId + ".pid");
    Path tmp = DIR.resolve("." + shortId + ".pid.tmp");
    Files.writeString(
        tmp, Ledger.self() + "\n" + runDir.toAbsolutePath() + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  public static void release(String shortId) {
    try {
      Files.deleteIfExists(DIR.resolve(shortId + ".pid"));
    } catch (IOException e) {
      // best effort
    }
  }

  /** True when {@code shortId} is registered (by a live or a dead process). */
  static boolean registered(String shortId) {
    return Files.isRegularFile(DIR.resolve(shortId + ".pid"));
  }

  /** True when {@code shortId} was registered by a process that no longer runs. */
  public static boolean dead(String shortId) {
    return lines(shortId).map(l -> !l.isEmpty() && Ledger.ownerDead(l.get(0))).orElse(false);
  }

  /** The run directory a run registered (older runs did not). */
  static Optional<Path> runDir(String shortId) {
    return lines(shortId)
        .filter(l -> l.size() > 1 && !l.get(1).isBlank())
        .map(l -> Path.of(l.get(1)));
  }

  private static Optional<List<String>> lines(String shortId) {
    Path f = DIR.resolve(shortId + ".pid");
    try {
      return Optional.of(Files.readAllLines(f, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Every registered run id. */
  static List<String> all() {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(DIR)) {
      s.map(p -> Objects.requireNonNull(p.getFileName(), "a listed file has a name").toString())
          .filter(n -> n.endsWith(".pid") && !n.startsWith("."))
          .map(n -> n.substring(0, n.length() - 4))
          .forEach(out::add);
    } catch (IOException e) {
      // nothing registered
    }
    return out;
  }
}
