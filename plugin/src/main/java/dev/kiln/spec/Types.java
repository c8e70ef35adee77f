package dev.kiln.spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The value types of the parameter table. Numbers are ASCII decimal without sign or leading zero
 * (so {@code 010} is not octal 8 and {@code ٨} is not 8); every pattern matches the whole value;
 * every type bounds its length.
 */
public final class Types {
  private Types() {}

  /** Parses one value; the functional half of {@link ValueType}. */
  @FunctionalInterface
  interface Parser {
    Object parse(String text, Path base) throws ValueType.Invalid;
  }

  /** A value type made of its form, its own hostile values and a parser. */
  record Simple(String form, List<String> badValues, Parser parser) implements ValueType {
    @Override
    public Object parse(String text, Path base) throws ValueType.Invalid {
      return parser.parse(text, base);
    }
  }

  private static final Pattern NATURAL = Pattern.compile("0|[1-9][0-9]{0,17}");
  private static final Pattern DURATION = Pattern.compile("(0|[1-9][0-9]{0,9})([smhdw]?)");
  private static final Pattern MAX_STARTUPS =
      Pattern.compile("([1-9][0-9]{0,3})(?::([1-9][0-9]{0,2}):([1-9][0-9]{0,3}))?");
  private static final Pattern UID_RANGE = Pattern.compile("([1-9][0-9]{3,9})-([1-9][0-9]{3,9})");
  private static final Pattern URL =
      Pattern.compile(
          "https?://([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]{2,45}\\])"
              + "(:[1-9][0-9]{0,4})?(/[A-Za-z0-9._~/-]{0,200})?");
  private static final Pattern LOCAL_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

  /** Hostile values of every numeric type. */
  private static final List<String> BAD_NUMBERS =
      List.of(
          "-1",
          "+1",
          "010",
          "1.5",
          "1e3",
          "0x10",
          "1 000",
          "\u0661\u0662",
          "\uff11\uff12",
          "9223372036854775807",
          "99999999999999999999999");

  /**
   * Groups that grant privileges or own system files: Kiln never makes a managed user a member
   * (local groups) nor treats their members as its own (marker group).
   */
  public static final Set<String> PRIVILEGED_GROUPS =
      Set.of(
          "root",
          "sudo",
          "wheel",
          "adm",
          "admin",
          "shadow",
          "disk",
          "docker",
          "lxd",
          "lxc",
          "kmem",
          "tty",
          "sys",
          "bin",
          "daemon",
          "staff",
          "systemd-journal",
          "systemd-network",
          "systemd-resolve",
          "systemd-timesync",
          "libvirt",
          "kvm",
          "operator",
          "utmp",
          "ssh",
          "_ssh",
          "ssl-cert",
          "crontab",
          "sasl",
          "nogroup",
          "nobody",
          "mail",
          "lp",
          "dialout",
          "floppy",
          "cdrom",
          "tape",
          "audio",
          "video",
          "plugdev",
          "netdev",
          "input",
          "render",
          "sgx",
          "src",
          "backup",
          "list",
          "irc",
          "gnats",
          "news",
          "uucp",
          "man",
          "proxy",
          "www-data",
          "messagebus",
          "polkitd",
          "tss",
          "uuidd",
          "games",
          "users",
          "fail2ban",
          "systemd-coredump",
          "sshd");

  public static ValueType bool() {
    return new Simple(
        "true or false (any case)",
        List.of("yes", "no", "1", "0", "on", "t", "truee", "tru e", "true,false"),
        (t, b) ->
            switch (t.toLowerCase(Locale.ROOT)) {
              case "true" -> Boolean.TRUE;
              case "false" -> Boolean.FALSE;
              default -> throw new ValueType.Invalid(null);
            });
  }

  public static ValueType integer(long min, long max) {
    List<String> bad = new ArrayList<>(BAD_NUMBERS);
    if (min > 0) {
      bad.add(Long.toString(min - 1));
    }
    bad.add(Long.toString(max + 1));
    return new Simple(
        "a whole number from " + min + " to " + max + " (decimal digits)",
        List.copyOf(bad),
        (t, b) -> {
          if (!NATURAL.matcher(t).matches()) {
            throw new ValueType.Invalid(null);
          }
          long n = Long.parseLong(t);
          if (n < min || n > max) {
            throw new ValueType.Invalid(null);
          }
          return n;
        });
  }

  /**
   * A duration, as seconds ({@code Long}). A bare number counts in {@code bareUnit} ({@code s} or
   * {@code m}); units are lower case.
   */
  public static ValueType duration(long minSeconds, long maxSeconds, String bareUnit) {
    List<String> bad = new ArrayList<>(BAD_NUMBERS);
    bad.addAll(List.of("10x", "1.5h", "1y", "10 m", "1h30m", "ms", "s", "\u0663\u0660s", "-5m"));
    if (minSeconds > 0) {
      bad.add("0");
    }
    bad.add((maxSeconds + 1) + "s");
    return new Simple(
        "a duration from "
            + human(minSeconds)
            + " to "
            + human(maxSeconds)
            + ": a number of "
            + ("m".equals(bareUnit) ? "minutes" : "seconds")
            + ", or with a unit s, m, h, d or w (30s, 10m, 1h)",
        List.copyOf(bad),
        (t, b) -> {
          Matcher m = DURATION.matcher(t);
          if (!m.matches()) {
            throw new ValueType.Invalid(null);
          }
          String unit = m.group(2).isEmpty() ? bareUnit : m.group(2);
          long s = Long.parseLong(m.group(1)) * unitSeconds(unit);
          if (s < minSeconds || s > maxSeconds) {
            throw new ValueType.Invalid(null);
          }
          return s;
        });
  }

  private static long unitSeconds(String unit) {
    return switch (unit) {
      case "m" -> 60;
      case "h" -> 3600;
      case "d" -> 86400;
      case "w" -> 604800;
      default -> 1;
    };
  }

  /** {@code 3600} → {@code 1h}: the largest unit that divides the seconds. */
  static String human(long seconds) {
    for (String u : List.of("w", "d", "h", "m")) {
      long k = unitSeconds(u);
      if (seconds != 0 && seconds % k == 0) {
        return seconds / k + u;
      }
    }
    return seconds + "s";
  }

  public static ValueType oneOf(String... values) {
    List<String> allowed = List.of(values);
    return new Simple(
        "one of " + String.join(", ", allowed),
        List.of(values[0].toUpperCase(Locale.ROOT) + "x", String.join(",", allowed), "other"),
        (t, b) -> {
          if (!allowed.contains(t)) {
            throw new ValueType.Invalid(null);
          }
          return t;
        });
  }

  /** {@code type} with further hostile values of its own. */
  public static ValueType withBad(ValueType type, String... bad) {
    return new Simple(
        type.form(),
        Stream.concat(type.badValues().stream(), Stream.of(bad)).toList(),
        type::parse);
  }

  /** A string matching {@code regex} as a whole (ASCII unless the pattern says otherwise). */
  public static ValueType pattern(String regex, String form, String... bad) {
    Pattern p = Pattern.compile(regex);
    return new Simple(
        form,
        Stream.concat(Stream.of("a'b", "a\"b", "a b", "$(id)", "a;b"), Stream.of(bad)).toList(),
        (t, b) -> {
          if (t.length() > 2048 || !p.matcher(t).matches()) {
            throw new ValueType.Invalid(null);
          }
          return t;
        });
  }

  /** A Linux group name that grants no privilege. */
  public static ValueType unprivilegedGroup() {
    return new Simple(
        "a Linux group name ([a-z_][a-z0-9_-]*, at most 32 characters) that is not a privileged"
            + " or system group such as root, sudo, wheel, adm, shadow, disk, docker or lxd",
        List.of("root", "sudo", "wheel", "adm", "shadow", "disk", "docker", "lxd", "Admins", "a b"),
        (t, b) -> {
          if (!LOCAL_NAME.matcher(t).matches()) {
            throw new ValueType.Invalid(null);
          }
          if (PRIVILEGED_GROUPS.contains(t)) {
            throw new ValueType.Invalid("'" + t + "' is a privileged or system group");
          }
          return t;
        });
  }

  /**
   * A comma-separated list (a {@code List}); whitespace around elements is ignored, duplicates are
   * dropped, an empty element is an error.
   */
  public static ValueType list(ValueType element) {
    List<String> bad = new ArrayList<>();
    bad.add(",");
    for (String e : element.badValues()) {
      if (!e.contains(",")) {
        bad.add(e);
      }
    }
    return new Simple(
        "a comma-separated list, each " + element.form(),
        List.copyOf(bad),
        (t, b) -> {
          if (t.length() > 4096) {
            throw new ValueType.Invalid(null);
          }
          LinkedHashSet<Object> out = new LinkedHashSet<>();
          for (String e : t.split(",", -1)) {
            String s = e.strip();
            if (s.isEmpty()) {
              throw new ValueType.Invalid("an element is empty");
            }
            try {
              out.add(element.parse(s, b));
            } catch (ValueType.Invalid why) {
              throw new ValueType.Invalid(
                  Escape.quoted(s)
                      + " is not"
                      + (why.getMessage() == null ? "" : ": " + why.getMessage()));
            }
          }
          return List.copyOf(out);
        });
  }

  /** {@code *} (an empty list: everyone) or a list of {@code element}. */
  public static ValueType allOr(ValueType list) {
    return new Simple(
        "* or " + list.form(),
        list.badValues().stream().filter(v -> !"*".equals(v)).toList(),
        (t, b) -> "*".equals(t) ? List.of() : list.parse(t, b));
  }

  /** sshd's MaxStartups: {@code N} or {@code start:rate:full} with start ≤ full, rate 1–100. */
  public static ValueType maxStartups() {
    return new Simple(
        "sshd's MaxStartups: a number from 1 to 9999, or start:rate:full (such as 10:30:60) with"
            + " start <= full and a rate from 1 to 100",
        List.of("0", "10:200:5", "60:30:10", "10:0:60", "10:101:60", "10:30", "10:30:60:1", "-1"),
        (t, b) -> {
          Matcher m = MAX_STARTUPS.matcher(t);
          if (!m.matches()) {
            throw new ValueType.Invalid(null);
          }
          if (m.group(2) != null) {
            int start = Integer.parseInt(m.group(1));
            int rate = Integer.parseInt(m.group(2));
            int full = Integer.parseInt(m.group(3));
            if (rate > 100) {
              throw new ValueType.Invalid("the rate " + rate + " is above 100");
            }
            if (start > full) {
              throw new ValueType.Invalid("start " + start + " is above full " + full);
            }
          }
          return t;
        });
  }

  /** {@code MIN-MAX} as a two-element {@code List<Long>}. */
  public static ValueType uidRange() {
    return new Simple(
        "MIN-MAX with 1000 <= MIN, MAX <= 2000000000 and at least 1000 UIDs (e.g. 200000-299999)",
        List.of("0-100000", "200000-200001", "299999-200000", "1000-3000000000", "010000-20000"),
        (t, b) -> {
          Matcher m = UID_RANGE.matcher(t);
          if (!m.matches()) {
            throw new ValueType.Invalid(null);
          }
          long lo = Long.parseLong(m.group(1));
          long hi = Long.parseLong(m.group(2));
          if (lo < 1000 || hi > 2_000_000_000L || hi - lo < 999) {
            throw new ValueType.Invalid(null);
          }
          return List.of(lo, hi);
        });
  }

  /** An http(s) URL with a host, no user info, query or fragment; a trailing slash is dropped. */
  public static ValueType url() {
    return new Simple(
        "an http:// or https:// URL with a host and no user, query or fragment",
        List.of(
            "ftp://example.com",
            "https://",
            "https://user@example.com",
            "https://example.com/?a=b",
            "https://example.com/#x",
            "https://exa mple.com",
            "example.com"),
        (t, b) -> {
          if (t.length() > 2048 || !URL.matcher(t).matches()) {
            throw new ValueType.Invalid(null);
          }
          return t.endsWith("/") ? t.substring(0, t.length() - 1) : t;
        });
  }

  /** Free text rendered into a file: printable characters and line breaks, no escape codes. */
  public static ValueType text(int maxLength) {
    return new Simple(
        "printable text of at most " + maxLength + " characters (line breaks allowed)",
        List.of("\u001b[2J", "a\u0000b", "a\rb", "\u202egnp.exe", "a\u0007"),
        (t, b) -> {
          if (t.length() > maxLength) {
            throw new ValueType.Invalid(null);
          }
          for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            int type = Character.getType(c);
            if (c != '\n'
                && c != '\t'
                && (type == Character.CONTROL
                    || type == Character.FORMAT
                    || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR
                    || type == Character.UNASSIGNED
                    || type == Character.SURROGATE
                    || type == Character.PRIVATE_USE)) {
              throw new ValueType.Invalid("it holds the control character " + Escape.value("" + c));
            }
          }
          return t;
        });
  }
}
