package dev.kiln.packer;

import dev.kiln.spec.KilnException;
import java.util.List;

/** Packer exited non-zero, timed out or was interrupted; {@link #details()} has its errors. */
public class PackerFailedException extends KilnException {
  private static final long serialVersionUID = 1L;

  public PackerFailedException(String message, List<String> packerErrors) {
    super(
        null,
        message + (packerErrors.isEmpty() ? "" : ": " + packerErrors.get(packerErrors.size() - 1)),
        packerErrors,
        null);
  }
}
