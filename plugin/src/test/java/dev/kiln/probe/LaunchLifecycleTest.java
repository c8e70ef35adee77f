package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.cloud.Candidate;
import dev.kiln.launch.Launcher;
import dev.kiln.sandbox.CandidateBridges;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Launch and terminate across JVMs, as separate Maven runs would: an interrupted build (SIGINT)
 * removes its candidate through the shutdown hook; a candidate kept with {@code kiln.keep} outlives
 * its JVM, stays reachable on loopback, and a later terminate removes it.
 */
class LaunchLifecycleTest {
  @TempDir Path tmp;

  private Process child(Path out, String ami, boolean keep) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            LaunchChildMain.class.getName(),
            out.toString(),
            ami,
            SandboxSettings.defaultCacheDir().toString(),
            Boolean.toString(keep))
        .redirectErrorStream(true)
        .start();
  }

  private static void awaitLaunched(Process p) throws Exception {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = r.readLine()) != null) {
      System.out.println("[child] " + line);
      if (line.equals("LAUNCHED")) {
        Thread t = new Thread(() -> r.lines().forEach(l -> System.out.println("[child] " + l)));
        t.setDaemon(true);
        t.start();
        return;
      }
    }
    throw new AssertionError("the child exited before launching (exit " + p.waitFor() + ")");
  }

  private static Candidate record(Path out) throws Exception {
    return Candidate.read(out.resolve(Launcher.RECORD)).orElseThrow();
  }

  private static CandidateState state(Candidate rec) {
    return rec.sandbox();
  }

  @Test
  void interruptedBuildRemovesItsCandidateAndKeptCandidateOutlivesItsJvm() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    Path out = tmp.resolve("target/kiln");
    KilnSpec spec = KilnSpec.parse(SandboxPipelineTest.config(out, null), tmp);
    String ami = SandboxPipelineTest.bake(spec);

    // 1. Ctrl-C during the build: the shutdown hook terminates the candidate.
    Process p = child(out, ami, false);
    awaitLaunched(p);
    CandidateState s1 = state(record(out));
    assertThat(CandidateCleanup.leftovers(s1)).isNotEmpty();
    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(record(out).isTerminated()).isTrue();
    assertThat(CandidateCleanup.leftovers(s1)).isEmpty();

    // 2. kiln.keep: the JVM exits, the candidate stays reachable; a later run terminates it.
    Process k = child(out, ami, true);
    awaitLaunched(k);
    assertThat(k.waitFor(60, TimeUnit.SECONDS)).isTrue();
    Candidate rec = record(out);
    assertThat(rec.isRunning()).isTrue();
    assertThat(rec.keep()).isTrue();
    CandidateState s2 = state(rec);
    int port = rec.portNumber();
    assertThat(CandidateBridges.banner(port)).startsWith("SSH-2.0-");
    List<String> removed = Launcher.terminate(out, System.out::println);
    assertThat(removed).anyMatch(x -> x.startsWith("listener 127.0.0.1:" + port));
    assertThat(CandidateCleanup.leftovers(s2)).isEmpty();
  }
}
