package dev.kiln.check;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs a local program with a deadline and captures its output. */
final class Proc {
  /** A finished run; {@code exit} is -1 when the program timed out or could not start. */
  record Result(int exit, String stdout, String stderr) {
    boolean ok() {
      return exit == 0;
    }

    String output() {
      return (stdout + (stdout.isEmpty() || stderr.isEmpty() ? "" : "\n") + stderr).strip();
    }
  }

  private Proc() {}

  static Result run(List<String> command, Path dir, Map<String, String> env, long timeoutSeconds) {
    ProcessBuilder pb = new ProcessBuilder(command);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Result(-1, "", "cannot run " + command.get(0) + ": " + e.getMessage());
    }
    try {
      p.getOutputStream().close();
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return new Result(
            -1, "", String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
      }
      return new Result(p.exitValue(), out.get(), err.get());
    } catch (IOException | ExecutionException e) {
      return new Result(-1, "", "cannot read output of " + command.get(0) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(-1, "", "interrupted while running " + command.get(0));
    }
  }

  static Result run(List<String> command, long timeoutSeconds) {
    return run(command, null, Map.of(), timeoutSeconds);
  }

  private static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "";
          }
        });
  }
}
