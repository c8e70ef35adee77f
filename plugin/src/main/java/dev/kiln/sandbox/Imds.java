package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An instance-metadata endpoint on {@code 169.254.169.254:80} inside a candidate's network
 * namespace (the address is added to that namespace's loopback): IMDSv2 tokens ({@code PUT
 * /latest/api/token}, required for every GET), {@code placement/region}, {@code
 * placement/availability-zone}, {@code instance-id}, {@code iam/security-credentials/} and {@code
 * iam/security-credentials/<role>} returning the emulator's static credentials.
 */
public final class Imds implements AutoCloseable {
  public static final String ADDRESS = "169.254.169.254";

  /** The line the server writes to its log once it listens. */
  static final String READY = "kiln-imds: listening";

  static final String SERVER =
      """
      import json, secrets, sys, time
      READY = "@READY@"
      from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
      region, role, ak, sk, iid = sys.argv[1:6]
      tokens = {}
      class H(BaseHTTPRequestHandler):
          def log_message(self, *a):
              sys.stderr.write("imds %s\\n" % (a[0] % a[1:]))
          def send(self, code, body, ctype="text/plain"):
              b = body.encode()
              self.send_response(code)
              self.send_header("Content-Type", ctype)
              self.send_header("Content-Length", str(len(b)))
              self.end_headers()
              self.wfile.write(b)
          def do_PUT(self):
              if self.path != "/latest/api/token":
                  return self.send(404, "")
              ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "0") or 0)
              if ttl < 1 or ttl > 21600:
                  return self.send(400, "")
              t = secrets.token_urlsafe(32)
              tokens[t] = time.time() + ttl
              self.send(200, t)
          def do_GET(self):
              t = self.headers.get("X-aws-ec2-metadata-token")
              if not t or tokens.get(t, 0) < time.time():
                  return self.send(401, "")
              p = self.path
              if p == "/latest/meta-data/placement/region":
                  return self.send(200, region)
              if p == "/latest/meta-data/placement/availability-zone":
                  return self.send(200, region + "a")
              if p == "/latest/meta-data/instance-id":
                  return self.send(200, iid)
              if p == "/latest/meta-data/iam/security-credentials/":
                  return self.send(200, role)
              if p == "/latest/meta-data/iam/security-credentials/" + role:
                  exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
                  return self.send(200, json.dumps({"Code": "Success", "Type": "AWS-HMAC",
                      "AccessKeyId": ak, "SecretAccessKey": sk, "Token": "kiln-sandbox",
                      "Expiration": exp, "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ")}),
                      "application/json")
              if p == "/latest/dynamic/instance-identity/document":
                  return self.send(200, json.dumps({"region": region, "instanceId": iid,
                      "accountId": "123456789012"}), "application/json")
              self.send(404, "")
      server = ThreadingHTTPServer(("169.254.169.254", 80), H)
      sys.stderr.write(READY + "\\n")
      sys.stderr.flush()
      server.serve_forever()
      """
          .replace("@READY@", READY);

  private final Process process;

  private Imds(Process process) {
    this.process = process;
  }

  /** Adds 169.254.169.254/32 to the namespace's loopback and serves the endpoint there. */
  public static Imds start(
      Ledger ledger, Netns ns, Path log, String region, String role, String instanceId)
      throws KilnException {
    ns.addLoopbackAddress(ADDRESS + "/32");
    Path python = Procs.which("python3", List.of(Path.of("/usr/bin")));
    if (python == null) {
      throw new KilnException("the sandbox needs python3 ('apt-get install -y python3')");
    }
    // The log is appended to: only what this start writes counts.
    long from;
    try {
      from = Files.isRegularFile(log) ? Files.size(log) : 0;
    } catch (IOException e) {
      throw new KilnException("cannot read " + log + ": " + e.getMessage(), e);
    }
    Process p =
        ledger.start(
            "imds-" + ns.name(),
            ns.exec(
                List.of(
                    python.toString(),
                    "-c",
                    SERVER,
                    region,
                    role,
                    Emulator.ACCESS_KEY_ID,
                    Emulator.SECRET_ACCESS_KEY,
                    instanceId)),
            log,
            Map.of());
    Imds imds = new Imds(p);
    // Ready once the server says it is bound (its log, read here: no process per try). Python's
    // start takes seconds on a loaded machine: as long as the instance's sshd may take.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (p.isAlive() && System.nanoTime() < deadline) {
      try {
        byte[] text = Files.isRegularFile(log) ? Files.readAllBytes(log) : new byte[0];
        if (text.length > from
            && new String(text, (int) from, text.length - (int) from, StandardCharsets.ISO_8859_1)
                .contains(READY)) {
          return imds;
        }
        Thread.sleep(10);
      } catch (IOException e) {
        break;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    imds.close();
    throw new KilnException("the sandbox metadata endpoint did not start (see " + log + ")");
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    Procs.stop(process, Duration.ofSeconds(2));
  }
}
