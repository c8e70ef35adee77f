package dev.kiln.templates;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.DynamicTest;
import org.opentest4j.TestAbortedException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Runs a Python unittest suite through {@code kiln_junit.py} (which writes one JUnit XML testcase
 * per Python test) and turns every Python test into a JUnit dynamic test named by its unittest id,
 * so Surefire and CI count and name each one; a failed or erroring Python test fails its own JUnit
 * test with the Python traceback, a skipped one is reported skipped.
 */
final class PythonSuite {

  /** One Python test's outcome as {@code kiln_junit.py} recorded it. */
  record Result(String id, String outcome, String detail) {}

  /** What a run produced: its exit status, its console output and the per-test results. */
  record Run(int exitStatus, String output, List<Result> results) {}

  private PythonSuite() {}

  /** The runner beside the on-instance programs' tests. */
  static Path runner() {
    return Path.of("src", "test", "python", "kiln_junit.py").toAbsolutePath();
  }

  /**
   * Runs the tests discovered under {@code start}, printing Python's verbose output as it comes,
   * and reads back the XML written to {@code xml}.
   */
  static Run run(Path start, Path xml) throws IOException, InterruptedException {
    Files.createDirectories(xml.getParent());
    Files.deleteIfExists(xml);
    List<String> command =
        List.of(
            "python3",
            "-B",
            runner().toString(),
            "--start",
            start.toString(),
            "--xml",
            xml.toString());
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(start.toFile()).redirectErrorStream(true);
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
      throw new AssertionError("python tests under " + start + " timed out after 30 minutes");
    }
    List<Result> results = Files.exists(xml) ? parse(xml) : List.of();
    return new Run(p.exitValue(), out.toString(), results);
  }

  static List<Result> parse(Path xml) throws IOException {
    try (InputStream in = Files.newInputStream(xml)) {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      Document doc = f.newDocumentBuilder().parse(in);
      NodeList cases = doc.getElementsByTagName("testcase");
      List<Result> results = new ArrayList<>();
      for (int i = 0; i < cases.getLength(); i++) {
        Element c = (Element) cases.item(i);
        String cls = c.getAttribute("classname");
        String id = cls.isEmpty() ? c.getAttribute("name") : cls + "." + c.getAttribute("name");
        String outcome = "passed";
        String detail = "";
        for (String kind : List.of("failure", "error", "skipped")) {
          NodeList n = c.getElementsByTagName(kind);
          if (n.getLength() > 0) {
            Element e = (Element) n.item(0);
            outcome = kind;
            detail = kind.equals("skipped") ? e.getAttribute("message") : e.getTextContent();
          }
        }
        results.add(new Result(id, outcome, detail));
      }
      return results;
    } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
      throw new IOException("cannot read " + xml + ": " + e.getMessage(), e);
    }
  }

  /**
   * One dynamic test per Python test; plus one named {@code python suite} that fails when the run
   * itself went wrong in a way no test accounts for (no XML, no test found, or a non-zero exit
   * status while every test passed).
   */
  static Stream<DynamicTest> dynamicTests(Run run) {
    List<DynamicTest> tests = new ArrayList<>();
    for (Result r : run.results()) {
      tests.add(DynamicTest.dynamicTest(r.id(), () -> check(r)));
    }
    boolean anyFailed =
        run.results().stream()
            .anyMatch(r -> !r.outcome().equals("passed") && !r.outcome().equals("skipped"));
    tests.add(
        DynamicTest.dynamicTest(
            "python suite",
            () -> {
              if (run.results().isEmpty()) {
                Assertions.fail(
                    "the Python run reported no test (exit status "
                        + run.exitStatus()
                        + "); output:\n"
                        + run.output());
              }
              if (run.exitStatus() != 0 && !anyFailed) {
                Assertions.fail(
                    "python exited with status "
                        + run.exitStatus()
                        + " although no test failed; output:\n"
                        + run.output());
              }
            }));
    return tests.stream();
  }

  static void check(Result r) {
    switch (r.outcome()) {
      case "passed" -> {}
      case "skipped" -> throw new TestAbortedException("skipped: " + r.detail());
      default -> throw new AssertionError(r.id() + " " + r.outcome() + ":\n" + r.detail());
    }
  }
}
