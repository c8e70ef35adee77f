package dev.kiln.probe;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.iam.IamClient;

/**
 * A candidate reached at a plain address and port (an AWS instance): one source (this machine,
 * which must be in the trusted CIDRs), no IAM changes, no root access outside SSH, ssh-audit run
 * locally.
 */
public final class HostTarget implements Target {
  private final String host;
  private final int port;

  public HostTarget(String host, int port) {
    this.host = host;
    this.port = port;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public int port(String source) {
    return port;
  }

  @Override
  public String sourceAddress(String source) {
    return "this machine";
  }

  @Override
  public IamClient iam() {
    throw new UnsupportedOperationException("no IAM changes outside the sandbox");
  }

  @Override
  public boolean createsIamUsers() {
    return false;
  }

  @Override
  public Optional<String[]> rootExec(String shell) {
    return Optional.empty();
  }

  @Override
  public boolean setIamReachable(boolean reachable) {
    return false;
  }

  @Override
  public void unban(String address) {}

  @Override
  public void ignoreInFail2ban(String address, boolean ignore) {}

  @Override
  public Optional<String> firewall() {
    return Optional.empty();
  }

  @Override
  public Optional<String> otherBootHostKey() {
    return Optional.empty();
  }

  @Override
  public Optional<String[]> sshAudit() throws KilnException {
    if (Procs.which("ssh-audit", List.of(Path.of("/usr/bin"))) == null) {
      return Optional.empty();
    }
    Procs.Result r =
        Procs.run(
            List.of("ssh-audit", "-n", "-p", Integer.toString(port), host),
            Duration.ofSeconds(60),
            Map.of());
    return Optional.of(new String[] {Integer.toString(r.exitCode()), r.output()});
  }

  @Override
  public void close() {}
}
