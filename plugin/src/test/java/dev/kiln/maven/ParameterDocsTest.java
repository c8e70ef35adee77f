package dev.kiln.maven;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.Parameter;
import dev.kiln.spec.ParameterTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's parameter table, the parameter fields (whose javadoc is {@code kiln:help -Ddetail})
 * and the generated help agree with the parameter table. With {@code -Dkiln.docs.update=true} the
 * README table and the fields are rewritten from the table (then run spotless:apply).
 */
class ParameterDocsTest {
  private static final Path FIELDS = Path.of("src/main/java/dev/kiln/maven/KilnParameters.java");
  private static final Path README = Path.of("../README.md");
  private static final Path HELP =
      Path.of("target/classes/META-INF/maven/dev.kiln/kiln-maven-plugin/plugin-help.xml");
  private static final boolean UPDATE = Boolean.getBoolean("kiln.docs.update");

  @Test
  void parameterFieldsAreGeneratedFromTheTable() throws IOException {
    String src = Files.readString(FIELDS, StandardCharsets.UTF_8);
    String expected = ParameterDocs.fields();
    String actual = between(src, ParameterDocs.FIELDS_BEGIN, ParameterDocs.FIELDS_END);
    if (UPDATE) {
      Files.writeString(FIELDS, src.replace(actual, expected), StandardCharsets.UTF_8);
      return;
    }
    // google-java-format reflows javadoc: compare the words.
    assertThat(words(actual))
        .as("KilnParameters differs from the table: run this test with -Dkiln.docs.update=true")
        .isEqualTo(words(expected));
  }

  @Test
  void readmeTableIsTheTable() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    String actual = between(readme, ParameterDocs.README_BEGIN, ParameterDocs.README_END);
    String expected = ParameterDocs.readme();
    if (UPDATE) {
      Files.writeString(README, readme.replace(actual, expected), StandardCharsets.UTF_8);
      return;
    }
    assertThat(actual)
        .as("README's parameter table: run this test with -Dkiln.docs.update=true")
        .isEqualTo(expected);
  }

  /** kiln:help -Ddetail prints, for every goal, every parameter with its -D name and default. */
  @Test
  void helpListsEveryParameterWithPropertyAndDefault() throws IOException {
    String help = unescape(Files.readString(HELP, StandardCharsets.UTF_8));
    String flat = help.replaceAll("\\s+", " ");
    int goals = count(help, "<goal>");
    assertThat(goals).isGreaterThanOrEqualTo(9);
    for (Parameter p : ParameterTable.all()) {
      String line =
          (p.group() == null ? ParameterDocs.helpText(p) : ParameterDocs.helpLine(p))
              .replaceAll("\\s+", " ");
      assertThat(count(flat, line))
          .as("help text of %s in every goal but help", p.path())
          .isEqualTo(goals - 1);
    }
    assertThat(help).doesNotContainPattern("see [A-Z][a-zA-Z]+Params");
  }

  private static int count(String s, String what) {
    return s.split(Pattern.quote(what), -1).length - 1;
  }

  private static String unescape(String xml) {
    return xml.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#64;", "@")
        .replace("&#123;", "{")
        .replace("&#125;", "}")
        .replace("&amp;", "&");
  }

  private static String words(String javaSource) {
    return javaSource.replaceAll("(?m)^\\s*\\*", " ").replaceAll("\\s+", " ").trim();
  }

  private static String between(String text, String begin, String end) {
    Matcher m =
        Pattern.compile(Pattern.quote(begin) + ".*?" + Pattern.quote(end), Pattern.DOTALL)
            .matcher(text);
    assertThat(m.find()).as("markers " + begin.trim() + " … " + end.trim()).isTrue();
    return m.group();
  }
}
