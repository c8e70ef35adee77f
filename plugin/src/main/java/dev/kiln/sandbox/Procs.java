package dev.kiln.sandbox;

import dev.kiln.spec.KilnException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Running and stopping child processes by PID. Every process the sandbox starts goes through here,
 * so it is always known by PID and stopped by PID (never by name).
 */
public final class Procs {
  private Procs() {}

  /** The outcome of a finished command: exit code and merged stdout/stderr. */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /**
   * Runs a command to completion (merged output), failing with its output when it exits non-zero.
   */
  public static Result check(List<String> cmd, Duration timeout) throws KilnException {
    Result r = run(cmd, timeout, Map.of());
    if (!r.ok()) {
      throw new KilnException(
          "command failed (exit "
              + r.exitCode()
              + "): "
              + String.join(" ", cmd)
              + "\n"
              + tail(r.output()));
    }
    return r;
  }

  /** Runs a command to completion; never throws for a non-zero exit. */
  public static Result run(List<String> cmd, Duration timeout, Map<String, String> env)
      throws KilnException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new KilnException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
    }
    try {
      p.getOutputStream().close();
    } catch (IOException ignored) {
      // nothing to close
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread pump = new Thread(() -> copy(p.getInputStream(), out), "kiln-proc-out");
    pump.setDaemon(true);
    pump.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        stop(p, Duration.ofSeconds(2));
        throw new KilnException(
            "command timed out after " + timeout.toSeconds() + " s: " + String.join(" ", cmd));
      }
      pump.join(2000);
    } catch (InterruptedException e) {
      stop(p, Duration.ofSeconds(2));
      Thread.currentThread().interrupt();
      throw new KilnException("interrupted while running " + String.join(" ", cmd), e);
    }
    return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
  }

  /** Starts a long-running process whose output goes to {@code log}. */
  public static Process start(List<String> cmd, Path log, Map<String, String> env)
      throws KilnException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path logDir = log.toAbsolutePath().getParent();
    if (logDir == null) {
      throw new KilnException(
          "cannot start " + cmd.get(0) + ": the log " + log + " has no parent directory");
    }
    try {
      Files.createDirectories(logDir);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      return pb.start();
    } catch (IOException e) {
      throw new KilnException("cannot start " + cmd.get(0) + ": " + e.getMessage(), e);
    }
  }

  /** SIGTERM, then SIGKILL after {@code grace}; waits for the process to be gone. */
  public static void stop(Process p, Duration grace) {
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Sends a signal by PID ({@code kill -s SIG pid}); false when the process is already gone. */
  public static boolean signal(long pid, String signal) {
    try {
      Process k = new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).start();
      return k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** True when this JVM runs as root (uid 0), read from /proc/self/status. */
  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /** Finds an executable on PATH, then in the extra directories given. */
  public static Path which(String name, List<Path> extraDirs) {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(":")) {
        if (!d.isEmpty()) {
          dirs.add(Path.of(d));
        }
      }
    }
    dirs.addAll(extraDirs);
    for (Path d : dirs) {
      Path f = d.resolve(name);
      if (Files.isRegularFile(f) && Files.isExecutable(f)) {
        return f;
      }
    }
    return null;
  }

  public static String tail(String s) {
    String[] lines = s.split("\n");
    int from = Math.max(0, lines.length - 30);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try (in) {
      in.transferTo(out);
    } catch (IOException e) {
      // the process went away; what was read is kept
    }
  }
}
