package dev.kiln.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.exec.Procs;
import dev.kiln.sandbox.Emulator;
import dev.kiln.spec.KilnException;
import java.io.File;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A moto_server on host loopback for the AWS-path tests (skipped where moto is not installed); its
 * fake instance addresses are never dialled.
 */
public final class LoopbackMoto implements AutoCloseable {
  private final Process process;
  private final URI endpoint;

  private LoopbackMoto(Process process, URI endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  /** Starts moto on a free loopback port and waits (bounded) until it answers. */
  public static LoopbackMoto start() throws Exception {
    Path exe;
    try {
      exe = Emulator.locateMoto();
    } catch (KilnException e) {
      assumeTrue(false, "moto_server not installed");
      return null;
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb =
        new ProcessBuilder(exe.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
            .redirectErrorStream(true)
            .redirectOutput(new File("/dev/null"));
    pb.environment().put("MOTO_EC2_LOAD_DEFAULT_AMIS", "false");
    LoopbackMoto moto = new LoopbackMoto(pb.start(), URI.create("http://127.0.0.1:" + port));
    // moto's start takes seconds on an idle machine and far longer on a loaded one: wait for it
    // (bounded), or fail here rather than with "Connection refused" in the tests.
    long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    boolean up = false;
    while (!up && System.nanoTime() < until && moto.process.isAlive()) {
      try {
        HttpURLConnection c =
            (HttpURLConnection) moto.endpoint.resolve("/moto-api/").toURL().openConnection();
        up = c.getResponseCode() == 200;
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
    }
    assertThat(up).as("moto_server answers on " + moto.endpoint).isTrue();
    return moto;
  }

  public URI endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    Procs.stop(process, Duration.ofSeconds(3));
  }
}
