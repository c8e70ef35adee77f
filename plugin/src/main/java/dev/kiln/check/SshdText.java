package dev.kiln.check;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sshd configuration as text: the stock sshd_config pointed at a temporary root, and what {@code
 * sshd -T} prints read back as keyword → values.
 */
final class SshdText {
  private SshdText() {}

  /** The stock sshd_config, reading the temporary drop-in directory and the throwaway key. */
  static String localStock(String stock, String configDir, Path dropIns, Path key) {
    StringBuilder b = new StringBuilder();
    for (String line : stock.split("\n", -1)) {
      String t = line.strip();
      String lower = t.toLowerCase(Locale.ROOT);
      if (lower.startsWith("include") && t.contains(configDir + "/")) {
        b.append(t.replace(configDir + "/", dropIns + "/"));
      } else if (lower.startsWith("hostkey ") || lower.startsWith("hostkey\t")) {
        b.append("HostKey ").append(key);
      } else {
        b.append(line);
      }
      b.append('\n');
    }
    return b.toString().replaceAll("\n+$", "\n");
  }

  /** {@code sshd -T} output: lowercase keyword → every value it printed, in order. */
  static Map<String, List<String>> parse(String out) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String l = line.strip();
      if (l.isEmpty()) {
        continue;
      }
      int sp = l.indexOf(' ');
      String k = (sp < 0 ? l : l.substring(0, sp)).toLowerCase(Locale.ROOT);
      String v = sp < 0 ? "" : l.substring(sp + 1).strip();
      m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return m;
  }
}
