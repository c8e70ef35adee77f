package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import java.util.regex.Pattern;

/**
 * Kiln's own checks of the names and ids that publish, rollout and rollback send to AWS. The
 * emulator accepts {@code not-an-ami} as an {@code aws:ec2:image} value and AWS validates it only
 * asynchronously, so nothing reaches an API call before it passed here.
 */
public final class Names {
  /** {@code ami-} and 8 or 17 lowercase hex digits (the two formats EC2 has issued). */
  static final Pattern AMI = Pattern.compile("ami-(?:[0-9a-f]{8}|[0-9a-f]{17})");

  /** SSM parameter names: letters, digits and {@code _.-/}; a path starts with {@code /}. */
  static final Pattern PARAMETER = Pattern.compile("/?[A-Za-z0-9_.\\-]+(?:/[A-Za-z0-9_.\\-]+)*");

  /** SSM labels: letters, digits, {@code ._-}; not starting with a digit, aws or ssm. */
  static final Pattern LABEL =
      Pattern.compile("(?!(?i:aws|ssm))[A-Za-z._\\-][A-Za-z0-9._\\-]{0,99}");

  /** A launch template id, or a name (3 to 128 of letters, digits and {@code ().-/_}). */
  static final Pattern TEMPLATE = Pattern.compile("lt-[0-9a-f]{17}|[A-Za-z0-9().\\-/_]{3,128}");

  /** A group name: Auto Scaling's 1 to 255 printable characters, restricted to a safe set. */
  static final Pattern GROUP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._\\-]{0,127}");

  private Names() {}

  /** An AMI id, or a clear error naming {@code parameter}. */
  public static String amiId(String parameter, String value) throws KilnException {
    return check(parameter, value, AMI, "an AMI id: ami- followed by 8 or 17 lowercase hex digits");
  }

  /** An SSM parameter name for an image id. */
  public static String parameter(String parameter, String value) throws KilnException {
    String v = check(parameter, value, PARAMETER, PARAMETER_FORM);
    String first = v.startsWith("/") ? v.substring(1) : v;
    String lower = first.toLowerCase(java.util.Locale.ROOT);
    long levels = v.chars().filter(c -> c == '/').count();
    if (lower.startsWith("aws") || lower.startsWith("ssm") || v.length() > 1011 || levels > 15) {
      throw KilnException.badParameter(parameter, quote(value), PARAMETER_FORM);
    }
    return v;
  }

  private static final String PARAMETER_FORM =
      "an SSM parameter name such as /kiln/team/app/debian-12: letters, digits, _ . - and /, at"
          + " most 15 levels and 1011 characters, not starting with aws or ssm";

  /** An SSM parameter label. */
  public static String label(String parameter, String value) throws KilnException {
    String v =
        check(
            parameter,
            value,
            LABEL,
            "a label of 1 to 100 letters, digits, . _ -, not starting with a digit, aws or ssm");
    return v;
  }

  /** A launch template id ({@code lt-…}) or name. */
  public static String launchTemplate(String parameter, String value) throws KilnException {
    return check(
        parameter,
        value,
        TEMPLATE,
        "a launch template id (lt- and 17 hex digits) or name (3 to 128 of letters, digits, ( ) . -"
            + " / _)");
  }

  /** An Auto Scaling group / sandbox group name. */
  public static String group(String parameter, String value) throws KilnException {
    return check(
        parameter,
        value,
        GROUP,
        "a group name: a letter or digit, then up to 127 letters, digits, . _ -");
  }

  /** Whether {@code s} is a template id rather than a name. */
  static boolean isTemplateId(String s) {
    return s.matches("lt-[0-9a-f]{17}");
  }

  private static String check(String parameter, String value, Pattern p, String expected)
      throws KilnException {
    if (value == null || !p.matcher(value).matches()) {
      throw KilnException.badParameter(parameter, quote(value), expected);
    }
    return value;
  }

  /** The value as it may be shown: control and non-ASCII characters escaped, at most 200 chars. */
  public static String quote(String value) {
    if (value == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < value.length() && b.length() < 200; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return value.length() > 200 ? b + "…" : b.toString();
  }
}
