package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.render.Json;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The AWS API emulator (moto_server) running inside the control namespace on {@code 0.0.0.0:5000}
 * (that namespace has only loopback and veth links to other sandbox namespaces). A small Python
 * forwarder inside the namespace serves a Unix socket that {@link UnixBridge} exposes on host
 * loopback, for the SDK clients in the JVM.
 *
 * <p>moto keeps state in memory: the AMI catalogue ({@code MOTO_AMIS_PATH}) is written at start
 * from the sandbox's synthetic source images and its persisted {@link ImageStore}, with their tags
 * and fixed ids, so images survive across runs.
 */
public final class Emulator implements AutoCloseable {
  /** moto's port inside the control namespace. */
  public static final int PORT = 5000;

  /** The emulator's account id (moto's default): {@code owners=self} images belong to it. */
  public static final String ACCOUNT_ID = "123456789012";

  /** Static credentials the emulator accepts (it does not verify signatures). */
  public static final String ACCESS_KEY_ID = "AKIAKILNSANDBOX00000";

  public static final String SECRET_ACCESS_KEY = "kiln-sandbox-secret-not-a-secret";

  static final String FORWARDER =
      """
      import os, socket, sys, threading
      path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
      try:
          os.unlink(path)
      except FileNotFoundError:
          pass
      srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
      srv.bind(path)
      os.chmod(path, 0o600)
      srv.listen(64)
      def pump(a, b):
          try:
              while True:
                  d = a.recv(65536)
                  if not d:
                      break
                  b.sendall(d)
          except OSError:
              pass
          finally:
              try:
                  b.shutdown(socket.SHUT_WR)
              except OSError:
                  pass
      def handle(c):
          try:
              u = socket.create_connection((host, port))
          except OSError:
              c.close()
              return
          t = threading.Thread(target=pump, args=(u, c), daemon=True)
          t.start()
          pump(c, u)
          t.join()
          c.close()
          u.close()
      while True:
          c, _ = srv.accept()
          threading.Thread(target=handle, args=(c,), daemon=True).start()
      """;

  private final Netns ns;
  private final Process moto;
  private final Process forwarder;
  private final UnixBridge bridge;

  private Emulator(Netns ns, Process moto, Process forwarder, UnixBridge bridge) {
    this.ns = ns;
    this.moto = moto;
    this.forwarder = forwarder;
    this.bridge = bridge;
  }

  /** The virtual environment {@code .ci/setup} installs moto into when it is missing. */
  public static Path kilnVenv() {
    return SandboxSettings.defaultCacheDir().resolve("venv");
  }

  /**
   * Locates moto_server: PATH, then Kiln's virtual environment ({@code .ci/setup}), then {@code
   * ~/.pyenv/shims}; fails with how to install it.
   */
  public static Path locateMoto() throws KilnException {
    Path p =
        Procs.which(
            "moto_server",
            List.of(
                kilnVenv().resolve("bin"),
                Path.of(System.getProperty("user.home"), ".pyenv", "shims")));
    if (p == null) {
      throw new KilnException(
          "cloud",
          "the sandbox cloud needs the AWS API emulator moto_server, which was not found on PATH, in"
              + " "
              + kilnVenv().resolve("bin")
              + " or in ~/.pyenv/shims; install it with 'bash .ci/setup', or with \"python3 -m"
              + " venv "
              + kilnVenv()
              + " && "
              + kilnVenv().resolve("bin/pip")
              + " install 'moto[server]'\" (Python 3.9+), or use -Dkiln.cloud=aws",
          List.of(),
          null);
    }
    return p;
  }

  /**
   * Starts the emulator in {@code ns}.
   *
   * @param ledger records moto and the forwarder
   * @param workDir a run directory for the catalogue, the socket and logs
   * @param amis the AMI catalogue: moto's {@code MOTO_AMIS_PATH} entries
   */
  public static Emulator start(
      Ledger ledger, Netns ns, Path workDir, List<Map<String, Object>> amis) throws KilnException {
    Path motoExe = locateMoto();
    Path python = Procs.which("python3", List.of(Path.of("/usr/bin")));
    if (python == null) {
      throw new KilnException("the sandbox needs python3 ('apt-get install -y python3')");
    }
    Path catalogue = workDir.resolve("amis.json");
    Path sock = workDir.resolve("emulator.sock");
    try {
      Files.createDirectories(workDir);
      Json.writeFile(catalogue, amis);
    } catch (IOException e) {
      throw new KilnException("cannot write " + catalogue + ": " + e.getMessage(), e);
    }
    Process moto = null;
    Process fwd = null;
    UnixBridge bridge = null;
    try {
      moto =
          ledger.start(
              "moto-" + ns.name(),
              ns.exec(List.of(motoExe.toString(), "-H", "0.0.0.0", "-p", Integer.toString(PORT))),
              workDir.resolve("moto.log"),
              Map.of(
                  "MOTO_AMIS_PATH", catalogue.toString(),
                  "MOTO_EC2_LOAD_DEFAULT_AMIS", "false",
                  "PYTHONUNBUFFERED", "1"));
      fwd =
          ledger.start(
              "forwarder-" + ns.name(),
              ns.exec(
                  List.of(
                      python.toString(),
                      "-c",
                      FORWARDER,
                      sock.toString(),
                      "127.0.0.1",
                      Integer.toString(PORT))),
              workDir.resolve("forwarder.log"),
              Map.of());
      bridge = new UnixBridge(sock);
      Emulator e = new Emulator(ns, moto, fwd, bridge);
      e.awaitReady(Duration.ofSeconds(30), workDir.resolve("moto.log"));
      return e;
    } catch (IOException | KilnException | RuntimeException ex) {
      if (bridge != null) {
        bridge.close();
      }
      Procs.stop(fwd, Duration.ofSeconds(2));
      Procs.stop(moto, Duration.ofSeconds(2));
      if (ex instanceof KilnException k) {
        throw k;
      }
      throw new KilnException("cannot start the AWS API emulator: " + ex.getMessage(), ex);
    }
  }

  private void awaitReady(Duration timeout, Path log) throws KilnException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!moto.isAlive()) {
        throw new KilnException("moto_server exited at start-up:\n" + tailOf(log));
      }
      try {
        HttpURLConnection c =
            (HttpURLConnection) hostEndpoint().resolve("/moto-api/").toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        if (c.getResponseCode() == 200) {
          c.getInputStream().readAllBytes();
          return;
        }
      } catch (IOException e) {
        // not yet
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KilnException("interrupted while starting the emulator", e);
      }
    }
    throw new KilnException(
        "the AWS API emulator did not start within " + timeout + ":\n" + tailOf(log));
  }

  private static String tailOf(Path log) {
    try {
      return Procs.tail(Files.readString(log));
    } catch (IOException e) {
      return "";
    }
  }

  /** For SDK clients in the host namespace: {@code http://127.0.0.1:<bridge port>}. */
  public URI hostEndpoint() {
    return URI.create("http://127.0.0.1:" + bridge.port());
  }

  /** For processes inside the control namespace (Packer): {@code http://127.0.0.1:5000}. */
  public String namespaceEndpoint() {
    return "http://127.0.0.1:" + PORT;
  }

  public Netns namespace() {
    return ns;
  }

  /** GETs a moto-api path (e.g. {@code /moto-api/data.json}) through the bridge. */
  public String motoApi(String path) throws KilnException {
    try {
      HttpURLConnection c =
          (HttpURLConnection) hostEndpoint().resolve(path).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(10000);
      try (var in = c.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new KilnException("emulator API " + path + ": " + e.getMessage(), e);
    }
  }

  public long motoPid() {
    return moto.pid();
  }

  @Override
  public void close() {
    bridge.close();
    Procs.stop(forwarder, Duration.ofSeconds(2));
    Procs.stop(moto, Duration.ofSeconds(3));
  }
}
