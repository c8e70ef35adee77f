package dev.kiln.sandbox;

import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The one SSH-banner wait: a sandbox candidate's loopback port and an AWS candidate's address both
 * answer when their sshd sends {@code SSH-...}. A connection that reads the banner and closes
 * counts as a failure for fail2ban against its source: the sandbox waits through its negative-probe
 * source.
 */
public final class SshBanner {
  private SshBanner() {}

  /** The first line {@code host:port} sends (at most 255 characters), or the error. */
  public static String read(String host, int port, Duration connectTimeout) {
    try (Socket c = new Socket()) {
      c.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
      c.setSoTimeout((int) Math.max(2000, connectTimeout.toMillis()));
      InputStream in = c.getInputStream();
      StringBuilder b = new StringBuilder();
      int ch;
      while ((ch = in.read()) >= 0 && ch != '\n' && b.length() < 255) {
        b.append((char) ch);
      }
      return b.toString();
    } catch (IOException e) {
      return e.toString();
    }
  }

  /**
   * Waits until {@code host:port} sends an SSH banner, polling every {@code interval}, with a
   * progress line naming {@code what} every {@code noteEvery}; logs the banner when it comes.
   *
   * @throws KilnException {@code launch.timeout} when none came within {@code timeout}
   */
  public static void await(
      String host,
      int port,
      String what,
      Duration timeout,
      Duration interval,
      Duration noteEvery,
      Consumer<String> log)
      throws KilnException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long nextNote = start + noteEvery.toNanos();
    Duration connect =
        interval.compareTo(Duration.ofSeconds(1)) < 0
            ? Duration.ofSeconds(1)
            : Duration.ofSeconds(3);
    String last = "";
    while (System.nanoTime() < deadline) {
      String banner = read(host, port, connect);
      if (banner.startsWith("SSH-")) {
        log.accept(
            "  SSH banner after "
                + (System.nanoTime() - start) / 1_000_000
                + " ms: "
                + banner.strip());
        return;
      }
      last = banner;
      if (System.nanoTime() > nextNote) {
        log.accept(
            "  waiting for the SSH banner of "
                + what
                + " ("
                + (System.nanoTime() - start) / 1_000_000_000
                + " s of "
                + timeout.toSeconds()
                + " s)");
        nextNote += noteEvery.toNanos();
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KilnException("interrupted while waiting for the SSH banner of " + what, e);
      }
    }
    throw new KilnException(
        "launch.timeout",
        "no SSH banner from "
            + what
            + " within "
            + timeout.toSeconds()
            + " s (last: "
            + last.strip()
            + ")",
        List.of(),
        null);
  }
}
