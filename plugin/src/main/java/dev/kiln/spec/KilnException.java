package dev.kiln.spec;

import java.util.List;
import java.util.Optional;

/**
 * A failure the user can act on. When it is caused by a parameter, {@link #parameter()} holds the
 * parameter's path without the {@code kiln.} prefix (for example {@code hardening.maxAuthTries}),
 * which the goals turn into {@code <hardening><maxAuthTries>} / {@code
 * -Dkiln.hardening.maxAuthTries}.
 */
public class KilnException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String parameter;
  private final List<String> details;

  public KilnException(String message) {
    this(null, message, List.of(), null);
  }

  public KilnException(String message, Throwable cause) {
    this(null, message, List.of(), cause);
  }

  public KilnException(String message, List<String> details) {
    this(null, message, details, null);
  }

  public KilnException(String parameter, String message, List<String> details, Throwable cause) {
    super(message, cause);
    this.parameter = parameter;
    this.details = List.copyOf(details);
  }

  /** An invalid parameter value: names the parameter, the value and the expected form. */
  public static KilnException badParameter(String parameter, Object value, String expected) {
    return new KilnException(
        parameter,
        "is " + Escape.quoted(value == null ? null : value.toString()) + ", expected " + expected,
        List.of(),
        null);
  }

  /** The parameter path (without {@code kiln.}), when a parameter caused this failure. */
  public Optional<String> parameter() {
    return Optional.ofNullable(parameter);
  }

  /** Further lines: every finding, every invalid value. */
  public List<String> details() {
    return details;
  }
}
