package dev.kiln.packer;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One {@code packer build -machine-readable} run: progress streamed to a {@link PackerLog},
 * artifacts parsed, a timeout, and interruption (thread interrupt, JVM shutdown) forwarded to
 * Packer as SIGINT so it deletes what it created, then SIGKILL if it does not exit in time.
 */
public final class PackerBuild {
  private final PackerExecutable packer;
  private final Path template;
  private final Map<String, String> vars = new LinkedHashMap<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private List<String> prefix = List.of();
  private Duration timeout = Duration.ofMinutes(60);
  private Duration cleanupGrace = Duration.ofMinutes(5);

  public PackerBuild(PackerExecutable packer, Path template) {
    this.packer = packer;
    this.template = template;
  }

  /** A {@code -var name=value}. */
  public PackerBuild var(String name, String value) {
    vars.put(name, value);
    return this;
  }

  /** An environment variable for Packer (credentials, CHECKPOINT_DISABLE is always set). */
  public PackerBuild env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** A command prefix, e.g. {@code ip netns exec NS}: it must exec Packer (same PID). */
  public PackerBuild prefix(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
    return this;
  }

  public PackerBuild timeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  /** How long Packer gets to clean up after SIGINT before it is killed. */
  public PackerBuild cleanupGrace(Duration grace) {
    this.cleanupGrace = grace;
    return this;
  }

  /** The full command line (for logs and tests). */
  public List<String> command() {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(packer.path().toString());
    cmd.add("build");
    cmd.add("-machine-readable");
    cmd.add("-color=false");
    vars.forEach(
        (k, v) -> {
          cmd.add("-var");
          cmd.add(k + "=" + v);
        });
    cmd.add(
        Objects.requireNonNull(template.getFileName(), "the Packer template is a file").toString());
    return cmd;
  }

  /**
   * Runs the build in the template's directory.
   *
   * @throws PackerFailedException when Packer exits non-zero, times out or is interrupted; it
   *     carries Packer's error messages
   */
  public PackerResult run(PackerLog log) throws KilnException {
    long start = System.nanoTime();
    Map<String, String> environment = new LinkedHashMap<>(env);
    environment.put("CHECKPOINT_DISABLE", "1");
    environment.put("PACKER_NO_COLOR", "1");
    Collector c = new Collector(log);
    Procs.Streamed run;
    try {
      run =
          Procs.stream(
              command(),
              Objects.requireNonNull(
                  template.toAbsolutePath().getParent(), "the Packer template is in a directory"),
              environment,
              c::accept);
    } catch (IOException e) {
      throw new KilnException(
          "packer.executable",
          "cannot start " + packer.path() + ": " + e.getMessage(),
          List.of(),
          e);
    }
    Process p = run.process();
    Thread hook = new Thread(() -> interruptAndWait(p), "kiln-packer-shutdown");
    boolean hooked = addHook(hook);
    String failure = null;
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("Packer did not finish within " + timeout + "; interrupting it so it cleans up");
        interruptAndWait(p);
        failure = "Packer timed out after " + timeout.toSeconds() + " s";
      }
    } catch (InterruptedException e) {
      log.warn("Interrupted: sending SIGINT to Packer so it cleans up");
      interruptAndWait(p);
      Thread.currentThread().interrupt();
      failure = "interrupted";
    } finally {
      if (hooked) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // shutting down: the hook is running
        }
      }
    }
    run.drain(Duration.ofSeconds(5));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (failure == null && p.exitValue() != 0) {
      failure = "Packer failed (exit " + p.exitValue() + ")";
    }
    if (failure != null) {
      throw new PackerFailedException(failure, c.errors());
    }
    return new PackerResult(c.artifacts(), took);
  }

  private static boolean addHook(Thread hook) {
    try {
      Runtime.getRuntime().addShutdownHook(hook);
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** SIGINT by PID, wait for Packer's cleanup, then SIGKILL. */
  private void interruptAndWait(Process p) {
    if (!p.isAlive()) {
      return;
    }
    Procs.signal(p.pid(), "INT");
    try {
      if (!p.waitFor(cleanupGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      // a second interrupt: wait for the cleanup anyway, bounded
      try {
        p.waitFor(cleanupGrace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException again) {
        p.destroyForcibly();
      }
      Thread.currentThread().interrupt();
    }
  }

  /** Turns machine-readable records into log lines, artifacts and error messages. */
  static final class Collector {
    private final PackerLog log;
    private final Map<String, Map<Integer, String[]>> artifacts = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();

    Collector(PackerLog log) {
      this.log = log;
    }

    synchronized void accept(String line) {
      var rec = MachineReadable.parse(line);
      if (rec.isEmpty()) {
        if (!line.isBlank()) {
          log.info(line);
        }
        return;
      }
      var r = rec.get();
      log.debug(line);
      switch (r.type()) {
        case "ui" -> {
          String kind = r.datum(0);
          String msg = r.datum(1);
          if (kind.equals("error")) {
            errors.add(msg.strip());
            msg.lines().forEach(log::warn);
          } else {
            msg.lines().forEach(log::info);
          }
        }
        case "error" -> {
          errors.add(r.datum(0).strip());
          r.datum(0).lines().forEach(log::warn);
        }
        case "artifact" -> {
          int idx;
          try {
            idx = Integer.parseInt(r.datum(0));
          } catch (NumberFormatException e) {
            return;
          }
          String[] a =
              artifacts
                  .computeIfAbsent(r.target(), k -> new LinkedHashMap<>())
                  .computeIfAbsent(idx, k -> new String[2]);
          if (r.datum(1).equals("builder-id")) {
            a[0] = r.datum(2);
          } else if (r.datum(1).equals("id")) {
            a[1] = r.datum(2);
          }
        }
        default -> {
          // say, message, artifact-count, build-name ... are shown through their ui records
        }
      }
    }

    synchronized List<Artifact> artifacts() {
      List<Artifact> out = new ArrayList<>();
      artifacts.forEach(
          (build, byIdx) ->
              byIdx.values().stream()
                  .filter(a -> a[1] != null)
                  .forEach(
                      a ->
                          out.add(
                              new Artifact(
                                  build,
                                  a[0] == null ? "" : a[0],
                                  a[1],
                                  MachineReadable.amis(a[1])))));
      return out;
    }

    synchronized List<String> errors() {
      return List.copyOf(errors);
    }
  }
}
