package dev.kiln.probe;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.kiln.render.AtomicFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The hardening report in {@code target/kiln/report/}: JUnit XML (one testcase per control, so CI
 * systems show it; one suite per recipe) and {@code index.html} (one section per recipe, rendered
 * from the template resource {@link #TEMPLATE}: inline CSS, no scripts, no external assets), every
 * file written atomically. One recipe: {@code TEST-kiln-hardening.xml}, suite {@code
 * kiln-hardening}; several: {@code TEST-kiln-hardening-<recipe>.xml}, suite {@code
 * kiln-hardening.<recipe>}. JUnit files of an earlier run that this one did not write are removed.
 */
public final class Report {
  public static final String JUNIT = "TEST-kiln-hardening.xml";
  public static final String HTML = "index.html";
  static final String TEMPLATE = "kiln/report/index.html.j2";

  /** Where each control id is described (its anchor), relative to Kiln's repository. */
  static final String HARDENING_DOCS = "docs/hardening.md";

  private static final Jinjava JINJAVA =
      new Jinjava(
          JinjavaConfig.newBuilder()
              .withFailOnUnknownTokens(true)
              .withTrimBlocks(true)
              .withLstripBlocks(true)
              .build());

  private Report() {}

  /** What the report is about. */
  public record Subject(String instanceId, String amiId, String cloud, String recipe) {}

  /** One candidate's controls: a section of the HTML page and a JUnit suite. */
  public record Section(Subject subject, List<Control> controls) {
    long count(Control.Outcome o) {
      return controls.stream().filter(c -> c.outcome() == o).count();
    }
  }

  /** The JUnit file of {@code recipe}: {@link #JUNIT} when the report has one recipe. */
  public static String junitName(String recipe, boolean several) {
    return several ? "TEST-kiln-hardening-" + recipe + ".xml" : JUNIT;
  }

  /** Writes the report of one candidate; returns the directory. */
  public static Path write(Path dir, Subject subject, List<Control> controls) throws IOException {
    return write(dir, List.of(new Section(subject, controls)));
  }

  /** Writes the report of every section (one per recipe); returns the directory. */
  public static Path write(Path dir, List<Section> sections) throws IOException {
    if (sections.isEmpty()) {
      throw new IllegalArgumentException("a report needs at least one candidate");
    }
    boolean several = sections.size() > 1;
    Files.createDirectories(dir);
    Set<String> written = new HashSet<>();
    for (Section s : sections) {
      String name = junitName(s.subject().recipe(), several);
      if (!written.add(name)) {
        throw new IllegalArgumentException("two candidates of recipe " + s.subject().recipe());
      }
      atomic(dir.resolve(name), junit(s.subject(), s.controls(), several));
    }
    atomic(dir.resolve(HTML), html(sections));
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String n = String.valueOf(f.getFileName());
        if (n.startsWith("TEST-kiln-hardening") && n.endsWith(".xml") && !written.contains(n)) {
          Files.deleteIfExists(f);
        }
      }
    }
    return dir;
  }

  private static void atomic(Path file, String text) throws IOException {
    AtomicFile.write(file, text);
  }

  static String junit(Subject s, List<Control> cs) {
    return junit(s, cs, false);
  }

  static String junit(Subject s, List<Control> cs, boolean several) {
    long failures = cs.stream().filter(Control::failed).count();
    long skipped = cs.stream().filter(c -> c.outcome() == Control.Outcome.SKIPPED).count();
    double total = cs.stream().mapToLong(Control::millis).sum() / 1000.0;
    StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    b.append("<testsuite name=\"")
        .append(xml(several ? "kiln-hardening." + s.recipe() : "kiln-hardening"))
        .append("\" tests=\"")
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
      b.append("  <testcase classname=\"")
          .append(xml(several ? "kiln.hardening." + s.recipe() : "kiln.hardening"))
          .append("\" name=\"")
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

  /** Renders {@code index.html} from the template resource {@link #TEMPLATE}, one section each. */
  static String html(List<Section> sections) {
    List<Map<String, Object>> secs = new ArrayList<>();
    long passed = 0;
    long failed = 0;
    long skipped = 0;
    boolean several = sections.size() > 1;
    for (Section s : sections) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Control c : s.controls()) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", text(c.id()));
        r.put("title", text(c.title()));
        r.put("expected", text(c.expected()));
        r.put("observed", text(c.observed()));
        r.put("outcome", c.outcome().name());
        r.put("evidence", text(c.evidence()));
        r.put("millis", c.millis());
        List<Map<String, Object>> figs = new ArrayList<>();
        c.figures().forEach((k, v) -> figs.add(Map.of("name", text(k), "value", text(v))));
        r.put("figures", figs);
        rows.add(r);
      }
      Map<String, Object> m = new LinkedHashMap<>();
      Subject sub = s.subject();
      m.put("recipe", text(sub.recipe() == null ? "unknown" : sub.recipe()));
      m.put("instanceId", text(sub.instanceId()));
      m.put("amiId", text(sub.amiId()));
      m.put("cloud", text(sub.cloud()));
      m.put("passed", s.count(Control.Outcome.PASS));
      m.put("failed", s.count(Control.Outcome.FAIL));
      m.put("skipped", s.count(Control.Outcome.SKIPPED));
      m.put("junit", junitName(sub.recipe(), several));
      // Row ids stay the bare control ids for one recipe (links into the report keep working).
      m.put("prefix", several ? text(sub.recipe()) + "-" : "");
      m.put("controls", rows);
      secs.add(m);
      passed += s.count(Control.Outcome.PASS);
      failed += s.count(Control.Outcome.FAIL);
      skipped += s.count(Control.Outcome.SKIPPED);
    }
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put(
        "title",
        text(
            String.join(
                ", ",
                sections.stream().map(s -> String.valueOf(s.subject().instanceId())).toList())));
    ctx.put("when", Instant.now().toString());
    ctx.put("passed", passed);
    ctx.put("failed", failed);
    ctx.put("skipped", skipped);
    ctx.put("docs", HARDENING_DOCS);
    ctx.put("sections", secs);
    RenderResult r = JINJAVA.renderForResult(template(), ctx);
    if (r.getErrors().stream().anyMatch(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)) {
      throw new IllegalStateException(TEMPLATE + " failed to render: " + r.getErrors());
    }
    return r.getOutput();
  }

  private static String template() {
    try (InputStream in = Report.class.getClassLoader().getResourceAsStream(TEMPLATE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + TEMPLATE);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Drops the characters neither XML 1.0 nor HTML text can carry (the template escapes). */
  static String text(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 || c == '\n' || c == '\t' || c == '\r') {
        b.append(c);
      }
    }
    return b.toString();
  }
}
