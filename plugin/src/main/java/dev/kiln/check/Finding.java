package dev.kiln.check;

/**
 * One problem found in a rendered bundle.
 *
 * @param recipe the recipe id of the bundle
 * @param check the check that found it, such as {@code sshd.permitrootlogin} or {@code fail2ban}
 * @param control the control's number in hardening.md, or 0 when the finding is not one control
 * @param message what is wrong and what was expected
 * @param evidence what the check saw (command output, the effective value); never secrets
 */
public record Finding(String recipe, String check, int control, String message, String evidence) {

  /** One line for a build log: {@code [recipe] check (control N): message — evidence}. */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append('[').append(recipe).append("] ").append(check);
    if (control > 0) {
      b.append(" (hardening.md control ").append(control).append(')');
    }
    b.append(": ").append(message);
    if (evidence != null && !evidence.isBlank()) {
      b.append(" — ").append(evidence.strip());
    }
    return b.toString();
  }
}
