package dev.kiln.check;

/**
 * One problem found in a rendered bundle.
 *
 * @param recipe the recipe id of the bundle
 * @param check the check that found it, such as {@code sshd.permitrootlogin} or {@code fail2ban}
 * @param control the control's number in docs/hardening.md, or 0 when the finding is not one
 *     control
 * @param message what is wrong and what was expected
 * @param evidence what the check saw (command output, the effective value); never secrets
 */
public record Finding(String recipe, String check, int control, String message, String evidence) {

  /** Where docs/hardening.md describes this finding's check: {@code docs/hardening.md#<check>}. */
  public String link() {
    return "docs/hardening.md#" + check;
  }

  /**
   * One line for a build log: {@code [recipe] check (docs/hardening.md#check, control N): message —
   * evidence}.
   */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append('[').append(recipe).append("] ").append(check);
    b.append(" (").append(link());
    if (control > 0) {
      b.append(", control ").append(control);
    }
    b.append(')');
    b.append(": ").append(message);
    if (evidence != null && !evidence.isBlank()) {
      b.append(" — ").append(evidence.strip());
    }
    return b.toString();
  }
}
