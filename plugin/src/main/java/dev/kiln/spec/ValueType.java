package dev.kiln.spec;

import java.nio.file.Path;
import java.util.List;

/**
 * How the text of one parameter becomes its value. Every type is strict (ASCII decimal numbers,
 * anchored patterns, bounded lengths) so that a value that reaches a shell script, an sshd or
 * fail2ban file or a cloud call has been checked once, here.
 */
public interface ValueType {

  /**
   * The typed value of {@code text} (never blank: the table rejects empty values before).
   *
   * @param base the project directory, against which relative paths resolve
   * @throws Invalid when the text is not of this type; its message, when not null, says what part
   *     is wrong (the type's {@link #form()} is always reported)
   */
  Object parse(String text, Path base) throws Invalid;

  /** The expected form, for messages and documentation: "a whole number from 1 to 6". */
  String form();

  /**
   * Hostile values specific to this type (besides the ones every parameter gets), each of which
   * {@link #parse} must refuse; the fuzz test tries them all.
   */
  List<String> badValues();

  /** A value of this type was refused. */
  final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    public Invalid(String why) {
      super(why, null, false, false);
    }
  }
}
