package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/hardening.md has an entry (an {@code <a id="...">} anchor) for every control id the code
 * emits: verify's control ids ({@link ControlRegistry}) and validate's finding ids (read from the
 * check package's sources: its {@code CHECK} prefixes, literal suffixes, literal ids, and the ids
 * built from a keyword, an algorithm kind, a slot keyword or a jail name), so the catalogue the
 * findings and the report link to cannot drift from the code.
 */
class HardeningCatalogueTest {
  static final Path DOC = Path.of("..", "docs", "hardening.md");
  static final Path CHECKS = Path.of("src", "main", "java", "dev", "kiln", "check");

  /** How each id built at run time gets its values, per file and expression. */
  static final Map<String, Pattern> DYNAMIC =
      Map.of(
          "SshdExpectations.java x.key()", Pattern.compile("new Expect\\(\\s*\"([a-z0-9]+)\""),
          "SshdAlgorithms.java kind", Pattern.compile("\"(kex|ciphers|macs|hostKeyAlgorithms)\""),
          "SlotCheck.java w.getKey()", Pattern.compile("want\\.put\\(\"([a-z]+)\""),
          "Fail2banCheck.java jail",
              Pattern.compile("(?:finding|expect)\\((?:out, )?recipe, \"([a-z0-9-]+)\""));

  static Set<String> anchors() throws IOException {
    Set<String> out = new TreeSet<>();
    Matcher m =
        Pattern.compile("<a id=\"([^\"]+)\"></a>")
            .matcher(Files.readString(DOC, StandardCharsets.UTF_8));
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  static Set<String> validateIds() throws IOException {
    Set<String> ids = new TreeSet<>();
    // a literal, or another check class's CHECK (a check split over several files)
    Pattern prefix =
        Pattern.compile("static final String CHECK = (?:\"([a-z0-9.]+)\"|(\\w+)\\.CHECK);");
    Pattern suffix = Pattern.compile("CHECK \\+ \"(\\.[a-z0-9.]+)\"");
    Pattern dynamic = Pattern.compile("CHECK \\+ \"\\.\" \\+ ([\\w.()]+)");
    Pattern literal = Pattern.compile("new Finding\\(\\s*[\\w.()]+,\\s*\"([a-z0-9.]+)\"");
    try (Stream<Path> s = Files.list(CHECKS)) {
      for (Path f : s.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String src = Files.readString(f, StandardCharsets.UTF_8);
        String name = f.getFileName().toString();
        Matcher p = prefix.matcher(src);
        String check = null;
        if (p.find()) {
          check = p.group(1);
          if (check == null) {
            Matcher q =
                prefix.matcher(
                    Files.readString(CHECKS.resolve(p.group(2) + ".java"), StandardCharsets.UTF_8));
            check = q.find() ? q.group(1) : null;
            assertThat(check).as(name + " takes CHECK from " + p.group(2)).isNotNull();
          }
        }
        if (check != null) {
          ids.add(check);
          Matcher x = suffix.matcher(src);
          while (x.find()) {
            ids.add(check + x.group(1));
          }
          Matcher d = dynamic.matcher(src);
          while (d.find()) {
            Pattern values = DYNAMIC.get(name + " " + d.group(1));
            assertThat(values)
                .as(
                    name
                        + " builds finding ids from "
                        + d.group(1)
                        + ": teach this test its values")
                .isNotNull();
            Matcher v = values.matcher(src);
            int n = 0;
            while (v.find()) {
              ids.add(check + "." + v.group(1));
              n++;
            }
            assertThat(n).as(name + " " + d.group(1) + " values found").isPositive();
          }
        }
        Matcher l = literal.matcher(src);
        while (l.find()) {
          ids.add(l.group(1));
        }
      }
    }
    return ids;
  }

  @Test
  void everyVerifyControlHasAnEntry() throws IOException {
    assertThat(anchors()).containsAll(ControlRegistry.ids());
  }

  @Test
  void everyValidateFindingIdHasAnEntry() throws IOException {
    Set<String> ids = validateIds();
    // The scan itself must see the ids it is meant to see.
    assertThat(ids)
        .contains(
            "sshd.permitrootlogin", "sshd.slot.trustedusercakeys", "fail2ban.recidive", "bundle");
    assertThat(anchors()).containsAll(ids);
  }
}
