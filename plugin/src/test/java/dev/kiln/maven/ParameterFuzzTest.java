package dev.kiln.maven;

import static dev.kiln.maven.Goals.goal;
import static dev.kiln.maven.Goals.props;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.Escape;
import dev.kiln.spec.Parameter;
import dev.kiln.spec.ParameterTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.maven.plugin.MojoExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated from the parameter table: every parameter gets the hostile values every parameter gets
 * plus the ones its type lists, once in the POM and once as -D, through the goals in turn. Each
 * must fail the goal with a message that names the parameter both ways, shows the value escaped
 * onto one line and says the expected form, and leave target/kiln byte-identical. A new parameter
 * is covered without touching this test.
 */
class ParameterFuzzTest {
  /** What every parameter is tried with, whatever its type. */
  static final List<String> EVERY =
      List.of("", " ", "\t\n", "x".repeat(5000), "9".repeat(5000), "a\u0000b", "\u0085");

  @TempDir Path base;

  @Test
  void everyBadValueOfEveryParameterIsRefusedAndNothingIsWritten() throws Exception {
    goal(RenderMojo.class, base, Map.of("recipes", "debian-12"), props()).execute();
    Path out = base.resolve("target/kiln");
    Map<String, String> before = snapshot(out);
    assertThat(before).isNotEmpty();
    List<String> failures = new ArrayList<>();
    int tried = 0;
    int n = 0;
    for (Parameter p : ParameterTable.all()) {
      Set<String> values = new LinkedHashSet<>(EVERY);
      values.addAll(p.type().badValues());
      assertThat(values)
          .as("%s is tried with a value holding a line break or control character", p.path())
          .anyMatch(v -> v.chars().anyMatch(c -> c < 0x20 && c != ' '));
      for (String v : values) {
        for (boolean asProperty : new boolean[] {false, true}) {
          Class<? extends AbstractKilnMojo> g = Goals.ALL.get(n++ % Goals.ALL.size());
          Map<String, String> pom = new HashMap<>(Map.of("recipes", "debian-12"));
          Properties user = props();
          if (asProperty) {
            user.setProperty(p.property(), v);
          } else {
            pom.put(p.path(), v);
          }
          String what =
              p.path()
                  + "="
                  + Escape.quoted(v)
                  + (asProperty ? " as -D" : " in the POM")
                  + " ("
                  + g.getSimpleName()
                  + ")";
          tried++;
          try {
            goal(g, base, pom, user).execute();
            failures.add(what + ": accepted");
          } catch (MojoExecutionException e) {
            String m = e.getMessage();
            if (!m.startsWith(
                    "Invalid parameter: "
                        + Parameter.both(p.path())
                        + " is "
                        + Escape.quoted(v)
                        + ", expected ")
                || !m.contains(p.type().form())
                || m.contains("\n")
                || m.contains("\r")) {
              failures.add(what + ": " + Escape.value(m));
            }
          }
          if (!snapshot(out).equals(before)) {
            failures.add(what + ": target/kiln changed");
            before = snapshot(out);
          }
        }
      }
    }
    System.out.println(
        "parameter-fuzz: "
            + tried
            + " bad values tried over "
            + ParameterTable.all().size()
            + " parameters (POM and -D), "
            + failures.size()
            + " not refused cleanly");
    assertThat(failures).isEmpty();
  }

  /** Path → sha256 of every file under {@code dir}. */
  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        try {
          m.put(
              dir.relativize(f).toString(),
              HexFormat.of()
                  .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return m;
  }
}
