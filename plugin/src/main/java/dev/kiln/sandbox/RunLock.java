package dev.kiln.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * {@code /run/kiln/<runid-short>.pid}: which JVM owns the namespaces named {@code kiln-<short>-*}.
 * Lets a later run remove what a killed run left behind ({@link Netns#sweepStale()}).
 */
public final class RunLock {
  static final Path DIR = Path.of("/run/kiln");

  private RunLock() {}

  /** Registers this JVM as the owner of {@code shortId}. */
  public static void register(String shortId) throws IOException {
    Files.createDirectories(DIR);
    Files.writeString(
        DIR.resolve(shortId + ".pid"),
        Long.toString(ProcessHandle.current().pid()),
        StandardCharsets.US_ASCII);
  }

  public static void release(String shortId) {
    try {
      Files.deleteIfExists(DIR.resolve(shortId + ".pid"));
    } catch (IOException e) {
      // best effort
    }
  }

  /** True when {@code shortId} was registered by a process that no longer exists. */
  public static boolean dead(String shortId) {
    Path f = DIR.resolve(shortId + ".pid");
    if (!Files.isRegularFile(f)) {
      return false;
    }
    try {
      long pid = Long.parseLong(Files.readString(f).trim());
      return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  /** Deletes run files of dead runs. */
  static void releaseDead() {
    try (var s = Files.list(DIR)) {
      s.map(p -> Objects.requireNonNull(p.getFileName(), "a listed file has a name").toString())
          .filter(n -> n.endsWith(".pid"))
          .map(n -> n.substring(0, n.length() - 4))
          .filter(RunLock::dead)
          .forEach(RunLock::release);
    } catch (IOException e) {
      // nothing registered
    }
  }
}
