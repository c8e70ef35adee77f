package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Exposes a TCP service inside a {@link Sandbox} namespace on host loopback: a forwarder inside the
 * namespace serves a Unix socket, a {@link UnixBridge} in the JVM listens on loopback. No
 * non-loopback address is ever dialled from the host namespace.
 */
public final class SandboxForwarder {
  private SandboxForwarder() {}

  /**
   * Exposes {@code host:port} as seen from inside {@code ns} on {@code 127.0.0.1:<returned port>};
   * closed with the session.
   */
  public static int exposeOnHost(Sandbox s, Netns ns, String host, int port, String name)
      throws KilnException {
    Path python = Procs.which("python3", List.of(Path.of("/usr/bin")));
    if (python == null) {
      throw new KilnException("the sandbox needs python3 ('apt-get install -y python3')");
    }
    Path sock = s.runDir().resolve(name + ".sock");
    s.locked(
        () -> {
          Process fwd =
              s.ledger()
                  .start(
                      "forwarder-" + name,
                      ns.exec(
                          List.of(
                              python.toString(),
                              "-c",
                              Emulator.FORWARDER,
                              sock.toString(),
                              host,
                              Integer.toString(port))),
                      s.runDir().resolve(name + "-forwarder.log"),
                      Map.of());
          s.own(() -> Procs.stop(fwd, Duration.ofSeconds(2)));
          return null;
        });
    // Wait for the forwarder's socket without holding the lock: close() must not wait on it.
    for (int i = 0; i < 200 && !Files.exists(sock); i++) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return s.locked(
        () -> {
          s.requireOpen();
          try {
            UnixBridge bridge = new UnixBridge(sock);
            s.own(bridge);
            return bridge.port();
          } catch (IOException e) {
            throw new KilnException("cannot bridge " + name + ": " + e.getMessage(), e);
          }
        });
  }
}
