package dev.kiln.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcsTest {
  @TempDir Path dir;

  private static List<String> sh(String script) {
    return List.of("/bin/sh", "-c", script);
  }

  @Test
  void runMergesStderrAndKeepsTheExitCode() throws KilnException {
    Procs.Result r =
        Procs.run(sh("echo out; echo err >&2; exit 4"), Duration.ofSeconds(10), Map.of());
    assertThat(r.exitCode()).isEqualTo(4);
    assertThat(r.output()).isEqualTo("out\nerr\n");
  }

  @Test
  void checkFailsWithTheOutput() {
    assertThatThrownBy(() -> Procs.check(sh("echo why; exit 1"), Duration.ofSeconds(10)))
        .isInstanceOf(KilnException.class)
        .hasMessage("command failed (exit 1): /bin/sh -c echo why; exit 1\nwhy");
  }

  @Test
  void runSaysWhenItTimesOutOrCannotStart() {
    assertThatThrownBy(() -> Procs.run(sh("sleep 30"), Duration.ofSeconds(1), Map.of()))
        .hasMessage("command timed out after 1 s: /bin/sh -c sleep 30");
    assertThatThrownBy(
            () ->
                Procs.run(List.of(dir.resolve("nope").toString()), Duration.ofSeconds(1), Map.of()))
        .hasMessageStartingWith("cannot run " + dir.resolve("nope"));
  }

  @Test
  void captureKeepsStreamsApartInTheGivenDirectoryAndEnvironment() {
    Procs.Captured c =
        Procs.capture(
            sh("pwd; echo \"$KILN_X\" >&2"), dir, Map.of("KILN_X", "x"), Duration.ofSeconds(10));
    assertThat(c.ok()).isTrue();
    assertThat(c.stdout()).isEqualTo(dir + "\n");
    assertThat(c.stderr()).isEqualTo("x\n");
    assertThat(c.output()).isEqualTo(dir + "\n\nx");
  }

  @Test
  void captureNeverThrows() {
    Procs.Captured slow = Procs.capture(sh("sleep 30"), 1);
    assertThat(slow.exitCode()).isEqualTo(-1);
    assertThat(slow.stderr()).isEqualTo("/bin/sh -c sleep 30 did not finish within 1 s");
    Procs.Captured missing = Procs.capture(List.of(dir.resolve("nope").toString()), 1);
    assertThat(missing.exitCode()).isEqualTo(-1);
    assertThat(missing.stderr()).startsWith("cannot run " + dir.resolve("nope"));
  }

  @Test
  void aChildLeftHoldingThePipeDoesNotHoldTheCaller() {
    long t0 = System.nanoTime();
    Procs.Captured c = Procs.capture(sh("echo hi; sleep 8 &"), 20);
    assertThat(c.stdout()).isEqualTo("hi\n");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(6));
  }

  @Test
  void signalIsFalseForAGoneProcess() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    assertThat(Procs.signal(p.pid(), "TERM")).isFalse();
  }

  @Test
  void whichSearchesTheGivenPathThenTheExtraDirectories() {
    assertThat(Procs.which("sh", "", List.of(Path.of("/bin")))).isEqualTo(Path.of("/bin/sh"));
    assertThat(Procs.which("sh", "/nowhere:" + "/bin", List.of())).isEqualTo(Path.of("/bin/sh"));
    assertThat(Procs.which("kiln-no-such-tool", "/bin", List.of())).isNull();
  }
}
