package dev.kiln.templates;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the Python tests of the on-instance access programs (authorized-keys, sync-users,
 * kiln_iam.py) with {@code python3 -m unittest discover} and fails the build if any of them fails.
 * The Python output is printed as it comes.
 */
class AccessPythonTest {

  @Test
  void pythonUnitTestsPass() throws Exception {
    Path dir = Path.of("src", "test", "python").toAbsolutePath();
    assertThat(Files.isDirectory(dir)).as("python test directory %s", dir).isTrue();
    List<String> command =
        List.of("python3", "-B", "-m", "unittest", "discover", "-v", "-s", dir.toString());
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        System.out.println(line);
        out.append(line).append('\n');
      }
    }
    if (!p.waitFor(30, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("python tests timed out");
    }
    assertThat(p.exitValue()).as("python3 -m unittest exit status; output:%n%s", out).isZero();
  }
}
