package dev.kiln.probe;

import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;
import dev.kiln.spec.KilnException;
import java.util.function.Supplier;

/**
 * The probes' one retry rule: an attempt that never reached sshd (no SSH conversation: a leftover
 * fail2ban ban of the source, sshd's MaxStartups dropping) says nothing about the control, so it is
 * tried again after clearing what may have blocked it. A refusal or a login is never retried.
 */
final class Retry {
  private Retry() {}

  /** What to do between a connection that did not happen and the next try. */
  interface Between {
    void run(Attempt failed) throws KilnException;
  }

  /**
   * Runs {@code attempt} at most {@code tries} times while it ends in {@link Kind#NO_CONNECTION},
   * running {@code between} and pausing {@code pauseMillis} after each such end; returns the last
   * attempt (still NO_CONNECTION when every try failed, or when interrupted).
   */
  static Attempt untilConnected(
      int tries, long pauseMillis, Supplier<Attempt> attempt, Between between)
      throws KilnException {
    Attempt last = null;
    for (int i = 0; i < tries; i++) {
      last = attempt.get();
      if (last.kind() != Kind.NO_CONNECTION) {
        return last;
      }
      between.run(last);
      if (!sleep(pauseMillis)) {
        return last;
      }
    }
    return last;
  }

  /** Sleeps; false (the interrupt flag set again) when interrupted. */
  static boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
