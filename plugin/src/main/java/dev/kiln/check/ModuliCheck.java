package dev.kiln.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Control 13: no Diffie-Hellman group under {@code hardening.minModuliBits}. A shipped {@code
 * /etc/ssh/moduli} is read line by line; otherwise provision.sh's awk filter must keep groups of at
 * least that size ({@code $5 >= N}, field 5 being the size).
 */
final class ModuliCheck {
  static final String CHECK = "moduli";
  private static final Pattern AWK = Pattern.compile("\\$5\\s*>=\\s*(\\d+)");

  List<Finding> run(CheckInput in) {
    String recipe = in.recipeId();
    List<Finding> out = new ArrayList<>();
    Object minObj = in.hardening().get("minModuliBits");
    int min = minObj == null ? 3071 : Integer.parseInt(minObj.toString());
    Path moduli = in.bundleDir().resolve("rootfs/etc/ssh/moduli");
    Path provision = in.bundleDir().resolve("packer/provision.sh");
    try {
      if (Files.isRegularFile(moduli)) {
        int n = 0;
        for (String line : Files.readAllLines(moduli)) {
          n++;
          String[] f = line.strip().split("\\s+");
          if (line.startsWith("#") || f.length < 7) {
            continue;
          }
          if (Integer.parseInt(f[4]) < min) {
            out.add(
                new Finding(
                    recipe,
                    CHECK,
                    13,
                    "rootfs/etc/ssh/moduli line "
                        + n
                        + " has a "
                        + f[4]
                        + "-bit group; expected none under "
                        + min,
                    line.length() > 80 ? line.substring(0, 80) + "…" : line));
          }
        }
        return out;
      }
      if (!Files.isRegularFile(provision)) {
        return out; // the script check reports a missing provision.sh through the bundle layout
      }
      String text = Files.readString(provision);
      if (!text.contains("/etc/ssh/moduli")) {
        // Nothing to check: the bundle neither ships nor trims moduli.
        return out;
      }
      Matcher m = AWK.matcher(text);
      if (!m.find()) {
        out.add(
            new Finding(
                recipe,
                CHECK,
                13,
                "packer/provision.sh touches /etc/ssh/moduli but has no awk filter '$5 >= "
                    + min
                    + "'",
                "no '$5 >= N' in packer/provision.sh"));
      } else if (Integer.parseInt(m.group(1)) < min) {
        out.add(
            new Finding(
                recipe,
                CHECK,
                13,
                "packer/provision.sh keeps moduli groups of "
                    + m.group(1)
                    + " bits; expected '$5 >= "
                    + min
                    + "' (hardening.minModuliBits)",
                m.group()));
      }
    } catch (IOException | NumberFormatException e) {
      out.add(new Finding(recipe, CHECK, 13, "cannot read the moduli settings", e.toString()));
    }
    return out;
  }
}
