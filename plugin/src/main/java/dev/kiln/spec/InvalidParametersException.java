package dev.kiln.spec;

import java.util.List;

/** Every invalid parameter found in one pass, so the user fixes them all at once. */
public final class InvalidParametersException extends KilnException {
  private static final long serialVersionUID = 1L;

  /** One invalid value: the parameter path (no {@code kiln.} prefix), the value, the form. */
  public record Problem(String parameter, String value, String expected) {}

  private final transient List<Problem> problems;

  public InvalidParametersException(List<Problem> problems) {
    super(
        problems.get(0).parameter(),
        "is '" + problems.get(0).value() + "', expected " + problems.get(0).expected(),
        List.of(),
        null);
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }
}
