package dev.kiln.templates;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the Python tests of the on-instance access programs (authorized-keys, sync-users,
 * kiln_iam.py and the rest) once, and reports each of them as a JUnit test of its own named by its
 * unittest id, so Surefire and CI list every Python test and a failing one fails the build by name.
 */
class AccessPythonTest {

  @TestFactory
  Stream<DynamicTest> python() throws Exception {
    Path dir = Path.of("src", "test", "python").toAbsolutePath();
    Path xml = Path.of("target", "python-reports", "TEST-python-access.xml").toAbsolutePath();
    return PythonSuite.dynamicTests(PythonSuite.run(dir, xml));
  }
}
