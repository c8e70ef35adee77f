package dev.kiln.spec;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Raw parameter values by path ({@code hardening.maxAuthTries}) and typed readers that record a
 * {@link InvalidParametersException.Problem} instead of throwing, so that one pass reports all.
 */
public final class Params {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})([smhdw]?)");
  private static final Pattern LOCAL_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
  private static final Pattern IAM_GROUP = Pattern.compile("[\\w+=,.@-]{1,128}");
  private static final Pattern ROLE_ARN =
      Pattern.compile("arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}");

  private final Map<String, String> raw;
  private final List<InvalidParametersException.Problem> problems = new ArrayList<>();

  public Params(Map<String, String> raw) {
    this.raw = new TreeMap<>();
    raw.forEach(
        (k, v) -> {
          if (v != null && !v.isBlank()) {
            this.raw.put(k, v.trim());
          }
        });
  }

  /** The raw value, or null when the parameter is not set. */
  public String raw(String path) {
    return raw.get(path);
  }

  public void problem(String path, String value, String expected) {
    problems.add(new InvalidParametersException.Problem(path, value, expected));
  }

  /** Throws every problem recorded so far. */
  public void throwIfInvalid() throws InvalidParametersException {
    if (!problems.isEmpty()) {
      throw new InvalidParametersException(problems);
    }
  }

  public String string(String path, String dflt) {
    String v = raw.get(path);
    return v == null ? dflt : v;
  }

  public String matching(String path, String dflt, Pattern pattern, String expected) {
    String v = raw.get(path);
    if (v == null) {
      return dflt;
    }
    if (!pattern.matcher(v).matches()) {
      problem(path, v, expected);
      return dflt;
    }
    return v;
  }

  public int integer(String path, int dflt, int min, int max) {
    String v = raw.get(path);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problem(path, v, "a whole number from " + min + " to " + max);
    return dflt;
  }

  public boolean bool(String path, boolean dflt) {
    String v = raw.get(path);
    if (v == null) {
      return dflt;
    }
    switch (v.toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        problem(path, v, "true or false");
        return dflt;
    }
  }

  /** A duration in whole seconds: {@code 30}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1w}. */
  public long seconds(String path, long dflt, long min, long max) {
    String v = raw.get(path);
    if (v == null) {
      return dflt;
    }
    var m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      long unit =
          switch (m.group(2)) {
            case "m" -> 60;
            case "h" -> 3600;
            case "d" -> 86400;
            case "w" -> 604800;
            default -> 1;
          };
      long s = n * unit;
      if (s >= min && s <= max) {
        return s;
      }
    }
    problem(
        path,
        v,
        "a duration from " + min + "s to " + max + "s, as seconds or with a unit s, m, h, d or w");
    return dflt;
  }

  /** A comma-separated list; each element must pass {@code valid}. */
  public List<String> list(
      String path, List<String> dflt, Predicate<String> valid, String expectedElement) {
    String v = raw.get(path);
    if (v == null) {
      return dflt;
    }
    List<String> out = new ArrayList<>();
    for (String e : Arrays.asList(v.split("\\s*,\\s*"))) {
      if (e.isEmpty()) {
        continue;
      }
      if (!valid.test(e)) {
        problem(path, v, "a comma-separated list of " + expectedElement + "; '" + e + "' is not");
        return dflt;
      }
      if (!out.contains(e)) {
        out.add(e);
      }
    }
    return List.copyOf(out);
  }

  public List<String> localNames(String path, List<String> dflt) {
    return list(
        path, dflt, s -> LOCAL_NAME.matcher(s).matches(), "Linux group names ([a-z_][a-z0-9_-]*)");
  }

  public List<String> iamGroups(String path, List<String> dflt) {
    return list(
        path, dflt, s -> IAM_GROUP.matcher(s).matches(), "IAM group names ([\\w+=,.@-], 1-128)");
  }

  public List<String> cidrs(String path, List<String> dflt) {
    return list(path, dflt, Cidr::isValid, "CIDR blocks such as 203.0.113.0/24 or 2001:db8::/32");
  }

  public String url(String path, String dflt) {
    String v = raw.get(path);
    if (v == null) {
      return dflt;
    }
    try {
      URI u = new URI(v);
      if (("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
          && u.getHost() != null
          && u.getRawQuery() == null
          && u.getRawFragment() == null) {
        return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    problem(path, v, "an http:// or https:// URL with a host and no query");
    return dflt;
  }

  public String roleArn(String path) {
    return matching(
        path, null, ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/ssh-keys");
  }

  static boolean isLocalName(String s) {
    return LOCAL_NAME.matcher(s).matches();
  }
}
