package dev.kiln.spec;

import java.util.List;

/**
 * The goal ran as asked and found the product wrong (a failed control, a validation finding), as
 * opposed to an error that kept it from running; Maven reports it as a build failure.
 */
public final class KilnFailure extends KilnException {
  private static final long serialVersionUID = 1L;

  public KilnFailure(String message, List<String> details) {
    super(message, details);
  }
}
