package dev.kiln.exec;

import dev.kiln.spec.KilnException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Running and stopping child processes by PID. Every process Kiln starts goes through here, so it
 * is always known by PID and stopped by PID (never by name).
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
   * The outcome of a finished command with stdout and stderr apart; {@code exitCode} is -1 when the
   * command timed out, could not start or was interrupted.
   */
  public record Captured(int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** stdout, then stderr, stripped. */
    public String output() {
      return (stdout + (stdout.isEmpty() || stderr.isEmpty() ? "" : "\n") + stderr).strip();
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
    try {
      Captured c = exec(cmd, null, env, timeout, true);
      return new Result(c.exitCode(), c.stdout());
    } catch (IOException e) {
      throw new KilnException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
    } catch (TimeoutException e) {
      throw new KilnException(
          "command timed out after " + timeout.toSeconds() + " s: " + String.join(" ", cmd));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KilnException("interrupted while running " + String.join(" ", cmd), e);
    }
  }

  /**
   * Runs a command to completion in {@code dir} (null: this JVM's), keeping stdout and stderr
   * apart. Never throws: a timeout, a start failure or an interrupt gives exit code -1 and says so
   * in stderr.
   */
  public static Captured capture(
      List<String> cmd, Path dir, Map<String, String> env, Duration timeout) {
    try {
      return exec(cmd, dir, env, timeout, false);
    } catch (IOException e) {
      return new Captured(-1, "", "cannot run " + cmd.get(0) + ": " + e.getMessage());
    } catch (TimeoutException e) {
      return new Captured(
          -1, "", String.join(" ", cmd) + " did not finish within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Captured(-1, "", "interrupted while running " + cmd.get(0));
    }
  }

  /** {@link #capture(List, Path, Map, Duration)} in this JVM's directory and environment. */
  public static Captured capture(List<String> cmd, long timeoutSeconds) {
    return capture(cmd, null, Map.of(), Duration.ofSeconds(timeoutSeconds));
  }

  /**
   * Starts a process (stdin closed, stderr merged into stdout) whose output lines go to {@code
   * lines} on a daemon thread; for runs that report progress while they go, like Packer's.
   */
  public static Streamed stream(
      List<String> cmd, Path dir, Map<String, String> env, Consumer<String> lines)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.accept(line);
                }
              } catch (IOException e) {
                // the process went away; what was read was handed on
              }
            },
            "kiln-proc-lines");
    reader.setDaemon(true);
    reader.start();
    return new Streamed(p, reader);
  }

  /** A process started by {@link #stream}: the process and the thread reading its output. */
  public record Streamed(Process process, Thread reader) {
    /** Waits up to {@code limit} for the rest of the output to be handed on. */
    public void drain(Duration limit) {
      try {
        reader.join(limit.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The one place a run-to-completion process is started: stdin closed, output pumped on daemon
   * threads (merged into stdout when {@code merge}), stopped by PID on timeout or interrupt.
   */
  private static Captured exec(
      List<String> cmd, Path dir, Map<String, String> env, Duration timeout, boolean merge)
      throws IOException, TimeoutException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(merge);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      p.getOutputStream().close();
    } catch (IOException ignored) {
      // nothing to close
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread outPump = pump(p.getInputStream(), out, "kiln-proc-out");
    Thread errPump = merge ? null : pump(p.getErrorStream(), err, "kiln-proc-err");
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        stop(p, Duration.ofSeconds(2));
        throw new TimeoutException();
      }
      // a child left behind holding the pipe must not hold the caller: output is complete when the
      // pumps end, or as far as it got after 2 s
      outPump.join(2000);
      if (errPump != null) {
        errPump.join(2000);
      }
    } catch (InterruptedException e) {
      stop(p, Duration.ofSeconds(2));
      throw e;
    }
    return new Captured(
        p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
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
    return capture(List.of("kill", "-s", signal, Long.toString(pid)), 5).ok();
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
    return which(name, System.getenv("PATH"), extraDirs);
  }

  /** Finds an executable in the directories of {@code pathEnv} (may be null), then in the extra. */
  public static Path which(String name, String pathEnv, List<Path> extraDirs) {
    List<Path> dirs = new ArrayList<>();
    if (pathEnv != null) {
      for (String d : pathEnv.split(":")) {
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

  private static Thread pump(InputStream in, ByteArrayOutputStream out, String name) {
    Thread t = new Thread(() -> copy(in, out), name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try (in) {
      in.transferTo(out);
    } catch (IOException e) {
      // the process went away; what was read is kept
    }
  }
}
