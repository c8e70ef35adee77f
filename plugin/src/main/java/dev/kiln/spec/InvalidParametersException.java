package dev.kiln.spec;

import java.util.List;

/** Every invalid parameter found in one pass, so the user fixes them all at once. */
public final class InvalidParametersException extends KilnException {
  private static final long serialVersionUID = 1L;

  /**
   * One invalid value: the parameter path (no {@code kiln.} prefix), the raw value, the form.
   *
   * @param unknown the path is no parameter at all; {@code expected} then lists the known ones
   */
  public record Problem(String parameter, String value, String expected, boolean unknown) {
    public Problem(String parameter, String value, String expected) {
      this(parameter, value, expected, false);
    }

    static Problem unknown(String parameter, String value, String known) {
      return new Problem(parameter, value, known, true);
    }

    /**
     * {@code <a><b> (-Dkiln.a.b) is 'value', expected form}: both names, the value escaped onto one
     * line.
     */
    public String describe() {
      return Parameter.both(parameter)
          + (unknown
              ? " is not a Kiln parameter (" + expected + ")"
              : " is " + Escape.quoted(value) + ", expected " + expected);
    }
  }

  private final transient List<Problem> problems;

  public InvalidParametersException(List<Problem> problems) {
    super(
        problems.get(0).parameter(),
        problems
            .get(0)
            .describe()
            .substring(Parameter.both(problems.get(0).parameter()).length() + 1),
        List.of(),
        null);
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }

  /** The whole message: one problem on one line, several as a list. */
  public String describe() {
    if (problems.size() == 1) {
      return "Invalid parameter: " + problems.get(0).describe();
    }
    StringBuilder sb = new StringBuilder("Invalid parameters:");
    for (Problem p : problems) {
      sb.append("\n  - ").append(p.describe());
    }
    return sb.toString();
  }
}
