package dev.kiln.templates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/** The per-test reporting of Python suites, on tiny suites that pass, fail, break and crash. */
class PythonSuiteTest {

  @TempDir Path dir;

  private PythonSuite.Run run(String file, String source) throws Exception {
    Files.writeString(dir.resolve(file), source, StandardCharsets.UTF_8);
    return PythonSuite.run(dir, dir.resolve("out").resolve("TEST-python.xml"));
  }

  private static Map<String, DynamicTest> byName(PythonSuite.Run run) {
    return PythonSuite.dynamicTests(run)
        .collect(Collectors.toMap(DynamicTest::getDisplayName, Function.identity()));
  }

  @Test
  void everyPythonTestBecomesANamedJunitTestAndAFailureFailsByName() throws Throwable {
    PythonSuite.Run run =
        run(
            "test_tiny.py",
            """
            import unittest
            class Tiny(unittest.TestCase):
                def test_ok(self):
                    pass
                def test_bad(self):
                    self.assertEqual(1, 2, "one is not two")
                def test_err(self):
                    raise RuntimeError("boom")
                @unittest.skip("not here")
                def test_skip(self):
                    pass
            """);
    Files.writeString(dir.resolve("test_broken.py"), "import no_such_module_kiln\n");
    run = PythonSuite.run(dir, dir.resolve("out").resolve("TEST-python.xml"));

    assertThat(run.exitStatus()).isNotZero();
    assertThat(run.results())
        .extracting(PythonSuite.Result::id, PythonSuite.Result::outcome)
        .contains(
            org.assertj.core.groups.Tuple.tuple("test_tiny.Tiny.test_ok", "passed"),
            org.assertj.core.groups.Tuple.tuple("test_tiny.Tiny.test_bad", "failure"),
            org.assertj.core.groups.Tuple.tuple("test_tiny.Tiny.test_err", "error"),
            org.assertj.core.groups.Tuple.tuple("test_tiny.Tiny.test_skip", "skipped"),
            org.assertj.core.groups.Tuple.tuple(
                "unittest.loader._FailedTest.test_broken", "error"));

    Map<String, DynamicTest> tests = byName(run);
    assertThat(tests)
        .containsKeys(
            "test_tiny.Tiny.test_ok",
            "test_tiny.Tiny.test_bad",
            "test_tiny.Tiny.test_err",
            "test_tiny.Tiny.test_skip",
            "python suite");
    tests.get("test_tiny.Tiny.test_ok").getExecutable().execute();
    tests.get("python suite").getExecutable().execute();
    assertThatThrownBy(() -> tests.get("test_tiny.Tiny.test_bad").getExecutable().execute())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("test_tiny.Tiny.test_bad failure")
        .hasMessageContaining("one is not two");
    assertThatThrownBy(() -> tests.get("test_tiny.Tiny.test_err").getExecutable().execute())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("RuntimeError: boom");
    assertThatThrownBy(
            () -> tests.get("unittest.loader._FailedTest.test_broken").getExecutable().execute())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("no_such_module_kiln");
    assertThatThrownBy(() -> tests.get("test_tiny.Tiny.test_skip").getExecutable().execute())
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("not here");
  }

  @Test
  void aRunThatCrashesBeforeReportingFailsTheSuiteEntry() throws Exception {
    PythonSuite.Run run =
        run(
            "test_crash.py",
            """
            import os, unittest
            class Crash(unittest.TestCase):
                def test_exits(self):
                    os._exit(3)
            """);
    assertThat(run.exitStatus()).isEqualTo(3);
    assertThat(run.results()).isEmpty();
    List<DynamicTest> tests = PythonSuite.dynamicTests(run).toList();
    assertThat(tests).extracting(DynamicTest::getDisplayName).containsExactly("python suite");
    assertThatThrownBy(() -> tests.get(0).getExecutable().execute())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("reported no test (exit status 3)");
  }

  @Test
  void aSuiteWithNoTestFails() throws Exception {
    PythonSuite.Run run = run("test_none.py", "import unittest\n");
    assertThat(run.results()).isEmpty();
    DynamicTest suite = PythonSuite.dynamicTests(run).toList().get(0);
    assertThatThrownBy(() -> suite.getExecutable().execute())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("reported no test");
  }
}
