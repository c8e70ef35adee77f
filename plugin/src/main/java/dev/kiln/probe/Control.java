package dev.kiln.probe;

/**
 * One hardening control as observed on a running candidate.
 *
 * @param id stable identifier, the JUnit testcase name ({@code root-login}, {@code fail2ban-ban})
 * @param title what the control means, for people
 * @param expected what a hardened image does
 * @param observed what the candidate did
 * @param outcome pass, fail, or skipped (with the reason in {@code observed})
 * @param evidence command output, log lines, exception texts (never key material)
 * @param millis how long the probe took
 * @param figures named figures the report shows beside the control, in order (Lynis' hardening
 *     index of the candidate and of its unhardened base); empty for most controls
 */
public record Control(
    String id,
    String title,
    String expected,
    String observed,
    Outcome outcome,
    String evidence,
    long millis,
    java.util.Map<String, String> figures) {

  public Control {
    figures = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(figures));
  }

  public Control(
      String id,
      String title,
      String expected,
      String observed,
      Outcome outcome,
      String evidence,
      long millis) {
    this(id, title, expected, observed, outcome, evidence, millis, java.util.Map.of());
  }

  /** A control's result. */
  public enum Outcome {
    PASS,
    FAIL,
    SKIPPED
  }

  public boolean failed() {
    return outcome == Outcome.FAIL;
  }
}
