package dev.kiln.spec;

import java.math.BigInteger;
import java.util.List;
import java.util.regex.Pattern;

/**
 * IP networks parsed, never compared as strings: {@code 0.0.0.0/00}, {@code ::0/0} and {@code
 * 0.0.0.0/1,128.0.0.0/1} are all "the whole Internet". No name resolution (InetAddress would
 * resolve host names).
 */
public final class Cidr {
  /**
   * The narrowest prefixes a trusted network may have: wider would exempt a large part of the net.
   */
  public static final int MIN_PREFIX_V4 = 8;

  public static final int MIN_PREFIX_V6 = 32;

  private static final Pattern V4 =
      Pattern.compile(
          "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:]{2,39}");
  private static final Pattern PREFIX = Pattern.compile("0|[1-9][0-9]{0,2}");

  private Cidr() {}

  /** A parsed network: {@code bits} is 32 or 128. */
  public record Network(int bits, BigInteger address, int prefix) {
    /** Whether any bit after the prefix is set (203.0.113.7/24 is a host, not a network). */
    public boolean hasHostBits() {
      BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
      return address.and(hostMask).signum() != 0;
    }

    /**
     * Why this network may not be trusted, or null: wider than /8 (IPv4) or /32 (IPv6), or an IPv6
     * range that maps or translates IPv4 addresses (::/16, 64:ff9b::/16).
     */
    public String tooWide() {
      if (bits == 32 && prefix < MIN_PREFIX_V4) {
        return "IPv4 networks must be /" + MIN_PREFIX_V4 + " or narrower";
      }
      if (bits == 128 && prefix < MIN_PREFIX_V6) {
        return "IPv6 networks must be /" + MIN_PREFIX_V6 + " or narrower";
      }
      int top16 = bits == 128 ? address.shiftRight(112).intValue() : -1;
      if (top16 == 0 || top16 == 0x64) {
        return "IPv6 ranges that map or translate IPv4 addresses (::/16, 64:ff9b::/16) are refused";
      }
      return null;
    }
  }

  /** The network written as {@code address/prefix}; null when it is not one. */
  public static Network parse(String s) {
    int slash = s.indexOf('/');
    if (slash < 0 || s.indexOf('/', slash + 1) >= 0) {
      return null;
    }
    String addr = s.substring(0, slash);
    String bits = s.substring(slash + 1);
    if (!PREFIX.matcher(bits).matches()) {
      return null;
    }
    int prefix = Integer.parseInt(bits);
    if (V4.matcher(addr).matches()) {
      if (prefix > 32) {
        return null;
      }
      BigInteger a = BigInteger.ZERO;
      for (String octet : addr.split("\\.")) {
        a = a.shiftLeft(8).or(BigInteger.valueOf(Integer.parseInt(octet)));
      }
      return new Network(32, a, prefix);
    }
    BigInteger a = V6.matcher(addr).matches() ? v6(addr) : null;
    return a == null || prefix > 128 ? null : new Network(128, a, prefix);
  }

  private static BigInteger v6(String addr) {
    int doubles = addr.split("::", -1).length - 1;
    if (doubles > 1) {
      return null;
    }
    String[] halves = doubles == 1 ? addr.split("::", -1) : new String[] {addr};
    List<String> head = groups(halves[0]);
    List<String> tail = doubles == 1 ? groups(halves[1]) : List.of();
    if (head == null || tail == null) {
      return null;
    }
    int n = head.size() + tail.size();
    if (doubles == 1 ? n > 7 : n != 8) {
      return null;
    }
    BigInteger a = BigInteger.ZERO;
    for (String g : head) {
      a = a.shiftLeft(16).or(BigInteger.valueOf(Integer.parseInt(g, 16)));
    }
    a = a.shiftLeft(16 * (8 - n));
    for (String g : tail) {
      a = a.shiftLeft(16).or(BigInteger.valueOf(Integer.parseInt(g, 16)));
    }
    return a;
  }

  /** The colon-separated groups of one side of {@code ::}; null when one is malformed. */
  private static List<String> groups(String part) {
    if (part.isEmpty()) {
      return List.of();
    }
    List<String> out = new java.util.ArrayList<>();
    for (String g : part.split(":", -1)) {
      if (g.isEmpty() || g.length() > 4) {
        return null;
      }
      out.add(g);
    }
    return out;
  }

  /**
   * The value type of one trusted network: canonical (no host bits), ASCII, at least /8 (IPv4) or
   * /32 (IPv6).
   */
  public static ValueType trusted() {
    return new Types.Simple(
        "an IPv4 network /8 or narrower or an IPv6 network /32 or narrower, with no host bits set"
            + " (such as 203.0.113.0/24 or 2001:db8::/32)",
        List.of(
            "0.0.0.0/0",
            "0.0.0.0/00",
            "::/0",
            "::0/0",
            "10.0.0.0/0",
            "0.0.0.0/1",
            "128.0.0.0/1",
            "10.0.0.0/7",
            "1.2.3.4/+8",
            "1.2.3.4/\u0668",
            "1.2.3.4/8",
            "203.0.113.7/24",
            "2001:db8::/31",
            "::ffff:0:0/96",
            "64:ff9b::/96",
            "1.2.3.4",
            "01.2.3.0/24",
            "300.1.1.0/24",
            "10.0.0.0/33",
            "example.com/24",
            "10.0.0.0/8/8"),
        (t, b) -> {
          Network n = parse(t);
          if (n == null) {
            throw new ValueType.Invalid(null);
          }
          if (n.hasHostBits()) {
            throw new ValueType.Invalid("host bits are set after /" + n.prefix());
          }
          String wide = n.tooWide();
          if (wide != null) {
            throw new ValueType.Invalid(wide);
          }
          return t;
        });
  }
}
