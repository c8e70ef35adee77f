package dev.kiln.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The hardening report in {@code target/kiln/report/}: {@code TEST-kiln-hardening.xml} (JUnit XML,
 * one testcase per control, so CI systems show it) and {@code index.html} (self-contained: inline
 * CSS, no scripts, no external assets), both written atomically.
 */
public final class Report {
  public static final String JUNIT = "TEST-kiln-hardening.xml";
  public static final String HTML = "index.html";

  private Report() {}

  /** What the report is about. */
  public record Subject(String instanceId, String amiId, String cloud, String recipe) {}

  /** Writes both files; returns the directory. */
  public static Path write(Path dir, Subject subject, List<Control> controls) throws IOException {
    Files.createDirectories(dir);
    atomic(dir.resolve(JUNIT), junit(subject, controls));
    atomic(dir.resolve(HTML), html(subject, controls));
    return dir;
  }

  private static void atomic(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null) {
      throw new IOException("cannot write " + file + ": it has no parent directory");
    }
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static String junit(Subject s, List<Control> cs) {
    long failures = cs.stream().filter(Control::failed).count();
    long skipped = cs.stream().filter(c -> c.outcome() == Control.Outcome.SKIPPED).count();
    double total = cs.stream().mapToLong(Control::millis).sum() / 1000.0;
    StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    b.append("<testsuite name=\"kiln-hardening\" tests=\"")
        .append(cs.size())
        .append("\" failures=\"")
        .append(failures)
        .append("\" errors=\"0\" skipped=\"")
        .append(skipped)
        .append("\" time=\"")
        .append(secs(total))
        .append("\" timestamp=\"")
        .append(Instant.now())
        .append("\">\n");
    b.append("  <properties>\n");
    prop(b, "kiln.instance.id", s.instanceId());
    prop(b, "kiln.ami.id", s.amiId());
    prop(b, "kiln.cloud", s.cloud());
    prop(b, "kiln.recipe", s.recipe());
    b.append("  </properties>\n");
    for (Control c : cs) {
      b.append("  <testcase classname=\"kiln.hardening\" name=\"")
          .append(xml(c.id()))
          .append("\" time=\"")
          .append(secs(c.millis() / 1000.0))
          .append("\">\n");
      switch (c.outcome()) {
        case FAIL ->
            b.append("    <failure message=\"")
                .append(xml(c.observed()))
                .append("\" type=\"kiln.control\">")
                .append(
                    xml(
                        "expected: "
                            + c.expected()
                            + "\nobserved: "
                            + c.observed()
                            + "\n\n"
                            + c.evidence()))
                .append("</failure>\n");
        case SKIPPED ->
            b.append("    <skipped message=\"").append(xml(c.observed())).append("\"/>\n");
        case PASS -> {}
      }
      b.append("    <system-out>")
          .append(
              xml(
                  "expected: "
                      + c.expected()
                      + "\nobserved: "
                      + c.observed()
                      + "\n\n"
                      + c.evidence()))
          .append("</system-out>\n");
      b.append("  </testcase>\n");
    }
    b.append("</testsuite>\n");
    return b.toString();
  }

  private static String secs(double s) {
    return String.format(Locale.ROOT, "%.3f", s);
  }

  private static void prop(StringBuilder b, String k, String v) {
    b.append("    <property name=\"")
        .append(xml(k))
        .append("\" value=\"")
        .append(xml(v == null ? "" : v))
        .append("\"/>\n");
  }

  /** XML/HTML text escaping; drops characters XML 1.0 forbids. */
  static String xml(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> {
          if (c >= 0x20 || c == '\n' || c == '\t' || c == '\r') {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  static String html(Subject s, List<Control> cs) {
    long failed = cs.stream().filter(Control::failed).count();
    long passed = cs.stream().filter(c -> c.outcome() == Control.Outcome.PASS).count();
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<title>Kiln hardening report ")
        .append(xml(s.instanceId()))
        .append("</title>\n")
        .append("<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}")
        .append(
            "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:6px;")
        .append("vertical-align:top;text-align:left}th{background:#f3f3f3}")
        .append(".PASS{background:#e6f4ea;color:#137333;font-weight:bold}")
        .append(".FAIL{background:#fce8e6;color:#a50e0e;font-weight:bold}")
        .append(".SKIPPED{background:#f1f3f4;color:#555;font-weight:bold}")
        .append("pre{white-space:pre-wrap;margin:0;font-size:12px;max-height:20em;overflow:auto}")
        .append("details summary{cursor:pointer}</style></head><body>\n");
    b.append("<h1>Kiln hardening report</h1>\n<p>")
        .append(failed == 0 ? "All controls hold" : failed + " control(s) FAILED")
        .append(" — ")
        .append(passed)
        .append(" passed, ")
        .append(failed)
        .append(" failed, ")
        .append(cs.size() - passed - failed)
        .append(" skipped.</p>\n");
    b.append("<p>Instance <code>")
        .append(xml(s.instanceId()))
        .append("</code> of image <code>")
        .append(xml(s.amiId()))
        .append("</code> (recipe ")
        .append(xml(s.recipe()))
        .append(", cloud ")
        .append(xml(s.cloud()))
        .append("), ")
        .append(xml(Instant.now().toString()))
        .append("</p>\n");
    b.append("<table><thead><tr><th>control</th><th>expected</th><th>observed</th><th>result</th>")
        .append("<th>evidence</th></tr></thead><tbody>\n");
    for (Control c : cs) {
      b.append("<tr id=\"")
          .append(xml(c.id()))
          .append("\"><td><b>")
          .append(xml(c.id()))
          .append("</b><br>")
          .append(xml(c.title()))
          .append("</td><td>")
          .append(xml(c.expected()))
          .append("</td><td>")
          .append(xml(c.observed()))
          .append("</td><td class=\"")
          .append(c.outcome())
          .append("\">")
          .append(c.outcome())
          .append("<br><small>")
          .append(c.millis())
          .append(" ms</small></td><td>")
          .append("<details><summary>evidence</summary><pre>")
          .append(xml(c.evidence()))
          .append("</pre></details></td></tr>\n");
    }
    b.append("</tbody></table>\n</body></html>\n");
    return b.toString();
  }
}
