package dev.kiln.spec;

import java.util.regex.Pattern;

/** CIDR syntax checks, without name resolution (InetAddress would resolve host names). */
public final class Cidr {
  private static final Pattern V4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:]{2,39}");

  private Cidr() {}

  public static boolean isValid(String s) {
    int slash = s.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String addr = s.substring(0, slash);
    int bits;
    try {
      bits = Integer.parseInt(s.substring(slash + 1));
    } catch (NumberFormatException e) {
      return false;
    }
    if (V4.matcher(addr).matches()) {
      return bits >= 0 && bits <= 32;
    }
    return V6.matcher(addr).matches() && isV6(addr) && bits >= 0 && bits <= 128;
  }

  /** Whether the block is the whole IPv4 or IPv6 internet. */
  public static boolean isWorld(String s) {
    return s.endsWith("/0");
  }

  private static boolean isV6(String addr) {
    int doubles = addr.split("::", -1).length - 1;
    if (doubles > 1) {
      return false;
    }
    String[] groups = addr.replace("::", ":x:").split(":", -1);
    int n = 0;
    for (String g : groups) {
      if (g.isEmpty() || "x".equals(g)) {
        continue;
      }
      if (g.length() > 4) {
        return false;
      }
      n++;
    }
    return doubles == 1 ? n < 8 : n == 8;
  }
}
