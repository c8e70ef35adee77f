package dev.kiln.probe;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.exec.Procs;
import dev.kiln.sandbox.CandidateBoot;
import dev.kiln.sandbox.CandidateNetwork;
import dev.kiln.sandbox.CandidateSandbox;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.sandbox.Emulator;
import dev.kiln.sandbox.ImageStore;
import dev.kiln.sandbox.LynisRun;
import dev.kiln.sandbox.UnixBridge;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.iam.IamClient;

/** A sandbox candidate ({@link CandidateSandbox}): IAM through the emulator's Unix socket. */
public final class SandboxTarget implements Target {
  private final CandidateState state;
  private final Path cacheDir;
  private final UnixBridge bridge;
  private final AwsClients clients;
  private final IamClient iam;

  public SandboxTarget(CandidateState state, Path cacheDir) throws KilnException {
    this.state = state;
    this.cacheDir = cacheDir;
    try {
      this.bridge = new UnixBridge(Path.of(state.emulatorSocket));
    } catch (IOException e) {
      throw new KilnException("cannot reach the sandbox emulator: " + e.getMessage(), e);
    }
    this.clients =
        new AwsClients(
            new AwsSettings(
                null,
                state.region,
                URI.create("http://127.0.0.1:" + bridge.port()),
                Emulator.ACCESS_KEY_ID,
                Emulator.SECRET_ACCESS_KEY));
    this.iam = clients.iam();
  }

  @Override
  public String host() {
    return "127.0.0.1";
  }

  @Override
  public int port(String source) throws KilnException {
    return state.source(source).port();
  }

  @Override
  public String sourceAddress(String source) throws KilnException {
    return state.source(source).address();
  }

  @Override
  public IamClient iam() {
    return iam;
  }

  @Override
  public boolean createsIamUsers() {
    return true;
  }

  @Override
  public Optional<String[]> rootExec(String shell) throws KilnException {
    Procs.Result r = CandidateSandbox.exec(state, shell, Duration.ofSeconds(60));
    return Optional.of(new String[] {Integer.toString(r.exitCode()), r.output()});
  }

  @Override
  public boolean setIamReachable(boolean reachable) throws KilnException {
    // ctl0 is the candidate's only link to the emulator (IAM, STS); IMDS stays up.
    Procs.Result r =
        CandidateNetwork.execNetns(
            state.vmNamespace(),
            List.of("ip", "link", "set", "ctl0", reachable ? "up" : "down"),
            Duration.ofSeconds(10));
    if (r.exitCode() != 0) {
      throw new KilnException("cannot set the candidate's link to the emulator: " + r.output());
    }
    return true;
  }

  @Override
  public void unban(String address) throws KilnException {
    CandidateSandbox.exec(
        state,
        "fail2ban-client unban " + address + " >/dev/null 2>&1 || true",
        Duration.ofSeconds(20));
  }

  @Override
  public void ignoreInFail2ban(String address, boolean ignore) throws KilnException {
    String op = ignore ? "addignoreip" : "delignoreip";
    CandidateSandbox.exec(
        state,
        "for j in sshd recidive; do fail2ban-client set $j "
            + op
            + " "
            + address
            + " >/dev/null 2>&1; done;"
            + " fail2ban-client unban "
            + address
            + " >/dev/null 2>&1; true",
        Duration.ofSeconds(20));
  }

  @Override
  public Optional<String> firewall() throws KilnException {
    // The candidate's own nft reads its ruleset: the host's may be older than the one fail2ban
    // wrote it with (Debian 12's nft 1.0.6 crashes listing trixie's nft 1.1.3 f2b-table, and the
    // ban looked absent). The host's nft only where the image has none.
    Procs.Result r =
        CandidateSandbox.exec(
            state,
            "if command -v nft >/dev/null; then nft list ruleset; else echo 'no nft' >&2; exit 127;"
                + " fi",
            Duration.ofSeconds(10));
    if (r.exitCode() == 127) {
      r =
          CandidateNetwork.execNetns(
              state.vmNamespace(), List.of("nft", "list", "ruleset"), Duration.ofSeconds(10));
    }
    if (!r.ok()) {
      throw new KilnException(
          "nft list ruleset failed in the candidate (exit " + r.exitCode() + "): " + r.output());
    }
    return Optional.of(r.output());
  }

  @Override
  public Optional<String> otherBootHostKey() throws KilnException {
    return Optional.of(CandidateBoot.throwawayHostKey(cacheDir, state.amiId, state.dir));
  }

  @Override
  public Optional<String[]> sshAudit() throws KilnException {
    if (Procs.which("ssh-audit", List.of(Path.of("/usr/bin"))) == null) {
      return Optional.empty();
    }
    Procs.Result r =
        CandidateNetwork.execNetns(
            state.userNamespace(),
            List.of("ssh-audit", "-n", "-p", "22", CandidateNetwork.CANDIDATE_ADDRESS),
            Duration.ofSeconds(60));
    return Optional.of(new String[] {Integer.toString(r.exitCode()), r.output()});
  }

  @Override
  public Optional<String> lynis() throws KilnException {
    return LynisRun.installed() ? Optional.of(LynisRun.candidate(state)) : Optional.empty();
  }

  @Override
  public Optional<String> lynisBase() throws KilnException {
    if (!LynisRun.installed()) {
      return Optional.empty();
    }
    Optional<ImageStore.Entry> image = new ImageStore(cacheDir).get(state.amiId);
    if (image.isEmpty() || image.get().base() == null) {
      return Optional.empty();
    }
    return Optional.of(LynisRun.base(Path.of(image.get().base())));
  }

  @Override
  public void close() {
    iam.close();
    clients.close();
    bridge.close();
  }
}
