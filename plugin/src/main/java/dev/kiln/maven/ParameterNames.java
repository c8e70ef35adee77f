package dev.kiln.maven;

import dev.kiln.spec.Props;

/** Spells a parameter path both ways a user can set it: XML element and -D property. */
final class ParameterNames {
  private ParameterNames() {}

  /** {@code hardening.maxAuthTries} → {@code <hardening><maxAuthTries>}. */
  static String xml(String path) {
    StringBuilder sb = new StringBuilder();
    for (String seg : path.split("\\.")) {
      sb.append('<').append(seg).append('>');
    }
    return sb.toString();
  }

  /** {@code hardening.maxAuthTries} → {@code -Dkiln.hardening.maxAuthTries}. */
  static String property(String path) {
    return "-D" + Props.PREFIX + path;
  }

  static String both(String path) {
    return xml(path) + " (" + property(path) + ")";
  }
}
