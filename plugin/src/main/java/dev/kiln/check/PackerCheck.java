package dev.kiln.check;

import dev.kiln.exec.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bundle's Packer template validates ({@code packer validate}) with placeholder values for
 * every variable that has no default.
 */
final class PackerCheck {
  static final String CHECK = "packer";
  static final String TEMPLATE = "packer/kiln.pkr.hcl";
  private static final Pattern VARIABLE =
      Pattern.compile("(?m)^\\s*variable\\s+\"([A-Za-z0-9_-]+)\"\\s*\\{");

  private final Tools tools;

  PackerCheck(Tools tools) {
    this.tools = tools;
  }

  List<Finding> run(CheckInput in) {
    String recipe = in.recipeId();
    List<Finding> out = new ArrayList<>();
    Path template = in.bundleDir().resolve(TEMPLATE);
    if (!Files.isRegularFile(template)) {
      out.add(
          new Finding(
              recipe,
              CHECK,
              0,
              TEMPLATE
                  + " is missing from the bundle; expected the rendered"
                  + " Packer template (templates' packer/kiln.pkr.hcl.j2)",
              "bundle " + in.bundleDir()));
      return out;
    }
    Optional<Path> packer = tools.find("packer");
    if (packer.isEmpty()) {
      out.add(Tools.missing(recipe, CHECK, 0, "packer", "the Packer template"));
      return out;
    }
    String text;
    try {
      text = Files.readString(template);
    } catch (IOException e) {
      out.add(new Finding(recipe, CHECK, 0, "cannot read " + TEMPLATE, e.toString()));
      return out;
    }
    List<String> cmd = new ArrayList<>(List.of(packer.get().toString(), "validate"));
    for (Map.Entry<String, String> v : requiredVariables(text).entrySet()) {
      cmd.add("-var");
      cmd.add(v.getKey() + "=" + v.getValue());
    }
    cmd.add(Objects.requireNonNull(template.getFileName(), "a regular file has a name").toString());
    Procs.Captured r =
        Procs.capture(
            cmd, template.getParent(), Map.of("CHECKPOINT_DISABLE", "1"), Duration.ofSeconds(120));
    if (!r.ok()) {
      out.add(
          new Finding(
              recipe,
              CHECK,
              0,
              "packer validate rejects " + TEMPLATE + " (exit " + r.exitCode() + ")",
              String.join(" ", cmd.subList(1, cmd.size())) + "\n" + r.output()));
    }
    return out;
  }

  /** Variables without a default, each with a placeholder of a plausible form. */
  static Map<String, String> requiredVariables(String hcl) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = VARIABLE.matcher(hcl);
    while (m.find()) {
      String body = block(hcl, m.end());
      if (body.matches("(?s).*(^|\\n)\\s*default\\s*=.*")) {
        continue;
      }
      String name = m.group(1);
      out.put(name, placeholder(name, body));
    }
    return out;
  }

  private static String block(String s, int from) {
    int depth = 1;
    int i = from;
    while (i < s.length() && depth > 0) {
      char c = s.charAt(i++);
      if (c == '{') {
        depth++;
      } else if (c == '}') {
        depth--;
      }
    }
    return s.substring(from, Math.max(from, i - 1));
  }

  private static String placeholder(String name, String body) {
    if (name.equals("source_ami") || name.endsWith("_ami")) {
      return "ami-00000000";
    }
    if (name.contains("region")) {
      return "us-east-1";
    }
    if (body.matches("(?s).*type\\s*=\\s*number.*")) {
      return "1";
    }
    if (body.matches("(?s).*type\\s*=\\s*bool.*")) {
      return "false";
    }
    return "kiln-validate";
  }
}
