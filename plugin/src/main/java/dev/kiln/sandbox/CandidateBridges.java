package dev.kiln.sandbox;

import static dev.kiln.sandbox.CandidateNetwork.CANDIDATE_ADDRESS;
import static dev.kiln.sandbox.CandidateNetwork.SOURCES;
import static dev.kiln.sandbox.CandidateNetwork.SOURCE_ORDER;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The host's ways into a candidate, one per source address: {@code socat
 * UNIX-LISTEN:<dir>/<src>.sock,fork TCP:<candidate>:22,bind=<source>} inside {@code -usr}, and on
 * the host a loopback listener {@code socat TCP-LISTEN:<port>,bind=127.0.0.1
 * UNIX-CONNECT:<dir>/<src>.sock}: the host only ever dials 127.0.0.1.
 */
public final class CandidateBridges {
  private CandidateBridges() {}

  /** Starts both ends for every source, recording each in {@code s} and persisting it. */
  static void open(CandidateState s, Netns usr, Consumer<CandidateState> persist)
      throws KilnException {
    for (String src : SOURCE_ORDER) {
      String sock = s.dir.resolve(src + ".sock").toString();
      s.ledger()
          .start(
              "socat-" + src,
              usr.exec(
                  List.of(
                      "socat",
                      "UNIX-LISTEN:" + sock + ",fork,mode=600",
                      "TCP:" + CANDIDATE_ADDRESS + ":22,bind=" + SOURCES.get(src))),
              s.dir.resolve(src + "-usr.log"),
              Map.of());
      CandidateState.Source source = hostListener(s.ledger(), src, sock, s.dir);
      s.sources.add(source);
      persist.accept(s);
    }
  }

  /** Starts the host loopback listener for one source on a free port, retrying a lost race. */
  private static CandidateState.Source hostListener(
      Ledger ledger, String src, String sock, Path dir) throws KilnException {
    for (int attempt = 0; attempt < 5; attempt++) {
      int port;
      try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = ss.getLocalPort();
      } catch (IOException e) {
        throw new KilnException("no free loopback port: " + e.getMessage(), e);
      }
      // On record before it listens (the ledger's wrapper writes the entry, then execs socat), in
      // its own session, so a Ctrl-C to Maven does not take a kept candidate's door away.
      Process p =
          ledger.start(
              "listener-" + src + "-" + attempt,
              List.of(
                  "socat",
                  "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork",
                  "UNIX-CONNECT:" + sock),
              dir.resolve(src + "-host.log"),
              Map.of());
      // Readiness from the kernel's socket table, not by connecting: a connection would reach sshd
      // and count as a failure for fail2ban against this source.
      for (int i = 0; i < 100; i++) {
        if (!p.isAlive()) {
          break;
        }
        if (listening(port)) {
          return new CandidateState.Source(src, SOURCES.get(src), port, sock, p.pid());
        }
        sleep(20);
      }
      Procs.stop(p, Duration.ofSeconds(1));
    }
    throw new KilnException("could not start the loopback listener for " + src);
  }

  /** True when 127.0.0.1:port is in LISTEN state in this network namespace (/proc/net/tcp). */
  static boolean listening(int port) {
    String want = String.format(":%04X", port);
    try {
      for (String l : Files.readAllLines(Path.of("/proc/net/tcp"))) {
        String[] f = l.trim().split("\\s+");
        if (f.length > 3 && f[1].endsWith(want) && f[3].equals("0A")) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /** Waits until the candidate's SSH banner answers on 127.0.0.1:port, with a progress line. */
  static void awaitBanner(int port, Duration timeout, Consumer<String> log, CandidateState s)
      throws KilnException {
    SshBanner.await(
        "127.0.0.1",
        port,
        "the candidate " + s.instanceId,
        timeout,
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        log);
  }

  /** The first line the server sends on 127.0.0.1:port, or the error. */
  public static String banner(int port) {
    return SshBanner.read("127.0.0.1", port, Duration.ofSeconds(1));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
