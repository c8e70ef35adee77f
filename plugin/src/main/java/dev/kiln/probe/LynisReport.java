package dev.kiln.probe;

import dev.kiln.sandbox.LynisRun;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one Lynis run said, read from its report file ({@code report.dat}: {@code key=value} lines,
 * {@code warning[]=ID|text|details|solution|}, {@code suggestion[]=...}) as {@link LynisRun} prints
 * it.
 *
 * @param exit Lynis' exit status (-1 when the run did not get that far)
 * @param hardeningIndex {@code hardening_index}, or -1 when absent
 * @param testsExecuted {@code tests_executed}'s test ids
 * @param findings every warning and suggestion, in the report's order
 * @param output the whole output (report file; Lynis runs with --quiet, so little console), for
 *     evidence
 */
record LynisReport(
    int exit,
    int hardeningIndex,
    Set<String> testsExecuted,
    List<Finding> findings,
    String output) {

  /**
   * One warning or suggestion.
   *
   * @param kind {@code warning} or {@code suggestion}
   * @param test the test id ({@code SSH-7408})
   * @param text what Lynis says
   * @param details its details field ({@code MaxAuthTries (set 6 to 3)} for SSH-7408)
   */
  record Finding(String kind, String test, String text, String details) {
    /** The sshd keyword an SSH-7408 finding is about ({@code MaxAuthTries}), else "". */
    String option() {
      int sp = details.indexOf(" (set ");
      return test.equals("SSH-7408") && sp > 0 ? details.substring(0, sp) : "";
    }

    String describe() {
      return kind + " " + test + ": " + text + (details.equals("-") ? "" : " — " + details);
    }
  }

  static LynisReport parse(String output) {
    int exit = -1;
    int index = -1;
    Set<String> tests = new LinkedHashSet<>();
    List<Finding> findings = new ArrayList<>();
    boolean inReport = false;
    for (String line : output.split("\n", -1)) {
      if (line.startsWith("lynis-exit=")) {
        exit = parseInt(line.substring("lynis-exit=".length()));
      } else if (line.equals(LynisRun.REPORT_MARK)) {
        inReport = true;
      } else if (line.equals(LynisRun.OUTPUT_MARK)) {
        inReport = false;
      } else if (inReport) {
        if (line.startsWith("hardening_index=")) {
          index = parseInt(line.substring("hardening_index=".length()));
        } else if (line.startsWith("tests_executed=")) {
          for (String t : line.substring("tests_executed=".length()).split("\\|")) {
            if (!t.isBlank()) {
              tests.add(t.strip());
            }
          }
        } else if (line.startsWith("warning[]=") || line.startsWith("suggestion[]=")) {
          String kind = line.startsWith("warning") ? "warning" : "suggestion";
          String[] f = line.substring(line.indexOf('=') + 1).split("\\|", -1);
          findings.add(
              new Finding(kind, f[0].strip(), f.length > 1 ? f[1] : "", f.length > 2 ? f[2] : "-"));
        }
      }
    }
    return new LynisReport(exit, index, tests, findings, output);
  }

  private static int parseInt(String s) {
    try {
      return Integer.parseInt(s.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The findings of SSH tests (ids {@code SSH-*}). */
  List<Finding> ssh() {
    return findings.stream().filter(f -> f.test().startsWith("SSH-")).toList();
  }

  /** Whether the run produced a report that looked at sshd's configuration. */
  boolean complete() {
    return exit == 0 && hardeningIndex >= 0 && testsExecuted.contains("SSH-7408");
  }
}
