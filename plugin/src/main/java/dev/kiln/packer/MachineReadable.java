package dev.kiln.packer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Packer's {@code -machine-readable} output: {@code timestamp,target,type,data...} per line, commas
 * inside data escaped as {@code %!(PACKER_COMMA)}, newlines as {@code \n}, carriage returns as
 * {@code \r}.
 */
public final class MachineReadable {
  private MachineReadable() {}

  /** One record. {@code target} is empty for global records (ui, version). */
  public record Record(long timestamp, String target, String type, List<String> data) {
    public String datum(int i) {
      return i < data.size() ? data.get(i) : "";
    }
  }

  /** Parses one line; empty when it is not a machine-readable record. */
  public static Optional<Record> parse(String line) {
    if (line == null) {
      return Optional.empty();
    }
    String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    String[] parts = l.split(",", -1);
    if (parts.length < 3 || !parts[0].matches("\\d+")) {
      return Optional.empty();
    }
    List<String> data = new ArrayList<>();
    for (int i = 3; i < parts.length; i++) {
      data.add(unescape(parts[i]));
    }
    return Optional.of(
        new Record(Long.parseLong(parts[0]), unescape(parts[1]), unescape(parts[2]), data));
  }

  /** Reverses Packer's escaping. */
  public static String unescape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    String t = s.replace("%!(PACKER_COMMA)", ",");
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '\\' && i + 1 < t.length()) {
        char n = t.charAt(i + 1);
        if (n == 'n') {
          out.append('\n');
          i++;
          continue;
        } else if (n == 'r') {
          out.append('\r');
          i++;
          continue;
        }
      }
      out.append(c);
    }
    return out.toString();
  }

  /**
   * Parses an amazon artifact id: {@code us-east-1:ami-1,eu-west-1:ami-2} into region → AMI id (in
   * order). Malformed entries are ignored.
   */
  public static Map<String, String> amis(String artifactId) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String part : artifactId.split(",")) {
      String p = part.trim();
      int colon = p.indexOf(':');
      if (colon > 0 && p.startsWith("ami-", colon + 1)) {
        out.put(p.substring(0, colon), p.substring(colon + 1));
      }
    }
    return out;
  }
}
