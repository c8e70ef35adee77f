package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.probe.Control.Outcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class ReportTest {
  @TempDir Path tmp;

  static final List<Control> CONTROLS =
      List.of(
          new Control(
              "root-login-refused",
              "Root cannot log in",
              "refused",
              "refused",
              Outcome.PASS,
              "Auth fail",
              12),
          new Control(
              "sshd-effective-config",
              "sshd -T",
              "permitrootlogin no",
              "permitrootlogin is 'yes' <&\"'>",
              Outcome.FAIL,
              "evidence with \u0001 control char and <tags>",
              34),
          new Control(
              "ssh-audit", "ssh-audit", "no [fail]", "not installed", Outcome.SKIPPED, "", 0));

  @Test
  void junitXmlHasOneTestcasePerControlWithFailuresAndSkips() throws Exception {
    Path dir =
        Report.write(
            tmp.resolve("report"),
            new Report.Subject("i-1", "ami-1", "sandbox", "debian-12"),
            CONTROLS);
    Document d =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(dir.resolve(Report.JUNIT).toFile());
    Element suite = d.getDocumentElement();
    assertThat(suite.getAttribute("name")).isEqualTo("kiln-hardening");
    assertThat(suite.getAttribute("tests")).isEqualTo("3");
    assertThat(suite.getAttribute("failures")).isEqualTo("1");
    assertThat(suite.getAttribute("skipped")).isEqualTo("1");
    assertThat(d.getElementsByTagName("testcase").getLength()).isEqualTo(3);
    Element failure = (Element) d.getElementsByTagName("failure").item(0);
    assertThat(((Element) failure.getParentNode()).getAttribute("name"))
        .isEqualTo("sshd-effective-config");
    assertThat(failure.getAttribute("message")).isEqualTo("permitrootlogin is 'yes' <&\"'>");
    assertThat(d.getElementsByTagName("skipped").getLength()).isEqualTo(1);
  }

  @Test
  void htmlIsSelfContainedWithOneRowPerControl() throws Exception {
    Path dir =
        Report.write(
            tmp.resolve("report"),
            new Report.Subject("i-1", "ami-1", "sandbox", "debian-12"),
            CONTROLS);
    String html = Files.readString(dir.resolve(Report.HTML), StandardCharsets.UTF_8);
    assertThat(html).startsWith("<!DOCTYPE html>");
    assertThat(html).doesNotContain("<script", "<link", "src=", "url(", "@import");
    assertThat(html.split("<tr id=", -1)).hasSize(4);
    assertThat(html)
        .contains("1 control(s) FAILED")
        .contains("&lt;tags&gt;")
        .doesNotContain("<tags>");
  }

  @Test
  void rewritingReplacesTheReport() throws Exception {
    Path dir = tmp.resolve("report");
    Report.write(dir, new Report.Subject("i-1", "ami-1", "sandbox", "debian-12"), CONTROLS);
    Report.write(
        dir, new Report.Subject("i-2", "ami-1", "sandbox", "debian-12"), CONTROLS.subList(0, 1));
    assertThat(Files.readString(dir.resolve(Report.JUNIT)))
        .contains("i-2")
        .doesNotContain("<failure");
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(Report.JUNIT, Report.HTML);
    }
  }

  @Test
  void severalRecipesGetOneSuiteAndOneSectionEachWithControlsLinkedToTheirDocs() throws Exception {
    Path dir = tmp.resolve("report");
    // an earlier one-recipe report: its JUnit file must not survive as a stale suite
    Report.write(dir, new Report.Subject("i-0", "ami-0", "sandbox", "debian-12"), CONTROLS);
    Report.write(
        dir,
        List.of(
            new Report.Section(
                new Report.Subject("i-1", "ami-1", "sandbox", "debian-12"), CONTROLS.subList(0, 1)),
            new Report.Section(
                new Report.Subject("i-2", "ami-2", "sandbox", "debian-13"), CONTROLS)));
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "TEST-kiln-hardening-debian-12.xml",
              "TEST-kiln-hardening-debian-13.xml",
              Report.HTML);
    }
    Document d12 =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(dir.resolve("TEST-kiln-hardening-debian-12.xml").toFile());
    assertThat(d12.getDocumentElement().getAttribute("name")).isEqualTo("kiln-hardening.debian-12");
    assertThat(d12.getDocumentElement().getAttribute("tests")).isEqualTo("1");
    assertThat(d12.getDocumentElement().getAttribute("failures")).isEqualTo("0");
    Document d13 =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(dir.resolve("TEST-kiln-hardening-debian-13.xml").toFile());
    assertThat(d13.getDocumentElement().getAttribute("name")).isEqualTo("kiln-hardening.debian-13");
    assertThat(d13.getDocumentElement().getAttribute("failures")).isEqualTo("1");
    assertThat(
            d13.getElementsByTagName("property")
                .item(3)
                .getAttributes()
                .getNamedItem("value")
                .getNodeValue())
        .isEqualTo("debian-13");

    String html = Files.readString(dir.resolve(Report.HTML), StandardCharsets.UTF_8);
    assertThat(html)
        .startsWith("<!DOCTYPE html>")
        .contains("<section id=\"recipe-debian-12\">", "<section id=\"recipe-debian-13\">")
        .contains("<tr id=\"debian-13-sshd-effective-config\">")
        .contains("<a href=\"docs/hardening.md#root-login-refused\">root-login-refused</a>")
        .contains("1 control(s) FAILED")
        .contains("over 2 recipes")
        .contains("&lt;tags&gt;")
        .doesNotContain("<tags>", "\u0001", "<script", "<link", "src=", "url(", "@import");
    assertThat(html.indexOf("recipe-debian-12\">")).isLessThan(html.indexOf("recipe-debian-13\">"));
    assertThat(html.split("<tr id=", -1)).hasSize(5);
  }

  @Test
  void theHtmlComesFromTheTemplateResource() throws Exception {
    try (var in = Report.class.getClassLoader().getResourceAsStream(Report.TEMPLATE)) {
      assertThat(in).isNotNull();
      String t = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(t).contains("{% for s in sections %}", "{{ c.evidence|e }}");
    }
  }
}
