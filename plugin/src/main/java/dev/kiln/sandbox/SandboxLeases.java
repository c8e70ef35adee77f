package dev.kiln.sandbox;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * The users of a session (bakes) that clean up through the emulator: on SIGINT/SIGTERM the JVM's
 * shutdown hook waits (at most {@link #GRACE}) until every lease is closed before it stops the
 * emulator, so the user's cleanup does not meet "Connection refused".
 */
final class SandboxLeases {
  /** How long the shutdown hook waits for users ({@link #lease}) to finish their own cleanup. */
  static final Duration GRACE = Duration.ofSeconds(60);

  private final Object lock = new Object();
  private int leases;
  private volatile boolean stopping;

  /** Marks a user of the session; closing the result (once or more) ends the lease. */
  AutoCloseable lease() {
    synchronized (lock) {
      leases++;
    }
    boolean[] done = {false};
    return () -> {
      synchronized (lock) {
        if (!done[0]) {
          done[0] = true;
          leases--;
          lock.notifyAll();
        }
      }
    };
  }

  /** True once the JVM is shutting down (SIGINT, SIGTERM): users should fail and clean up. */
  boolean stopping() {
    return stopping;
  }

  /** Marks the session as stopping, then waits until every lease is closed or {@link #GRACE}. */
  void drain(Consumer<String> log) {
    stopping = true;
    long deadline = System.nanoTime() + GRACE.toNanos();
    synchronized (lock) {
      while (leases > 0 && System.nanoTime() < deadline) {
        try {
          lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (leases > 0) {
        log.accept("sandbox cleanup: stopping with " + leases + " user(s) still busy");
      }
    }
  }
}
