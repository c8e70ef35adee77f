package dev.kiln.probe;

import dev.kiln.spec.KilnException;
import java.util.Optional;
import software.amazon.awssdk.services.iam.IamClient;

/** A running candidate as the probes see it. */
public interface Target extends AutoCloseable {
  /** The address probes dial: 127.0.0.1 in the sandbox, the instance's address on AWS. */
  String host();

  /** Named ways in: {@code user} (authorized logins), {@code attacker}, {@code probe}. */
  int port(String source) throws KilnException;

  /** The address a source arrives from, as the candidate sees it. */
  String sourceAddress(String source) throws KilnException;

  /** IAM (the emulator in the sandbox). */
  IamClient iam();

  /** Whether probes may create IAM groups and users (the sandbox) or must use existing ones. */
  boolean createsIamUsers();

  /** Runs a root shell command in the candidate (outside SSH), or empty when not possible. */
  Optional<String[]> rootExec(String shell) throws KilnException;

  /**
   * Cuts ({@code false}) or restores ({@code true}) the candidate's way to IAM, as an IAM outage
   * would: in the sandbox its link to the AWS API emulator goes down.
   *
   * @return false when this target cannot do it (a real instance)
   */
  boolean setIamReachable(boolean reachable) throws KilnException;

  /** Removes every fail2ban ban of {@code address} (the probe harness's own source). */
  void unban(String address) throws KilnException;

  /**
   * Tells the candidate's fail2ban, at run time only, to ignore (or stop ignoring) {@code address}:
   * the harness's own negative-probe source, so that its deliberate failures do not ban it. The
   * fail2ban control uses another source that is never ignored.
   */
  void ignoreInFail2ban(String address, boolean ignore) throws KilnException;

  /** The candidate's firewall ruleset ({@code nft list ruleset} in its namespace), if readable. */
  Optional<String> firewall() throws KilnException;

  /** The ed25519 host key of another boot of the same image, if this target can make one. */
  Optional<String> otherBootHostKey() throws KilnException;

  /** ssh-audit against the candidate from the user side: exit code and output, if available. */
  Optional<String[]> sshAudit() throws KilnException;

  /**
   * Lynis' SSH audit run inside the candidate ({@code LynisRun}'s output: report file and console),
   * or empty when this target cannot run it (a real instance: Lynis is not baked into images).
   */
  default Optional<String> lynis() throws KilnException {
    return Optional.empty();
  }

  /** The same audit of the candidate's unhardened base (the recipe's sandbox base), if any. */
  default Optional<String> lynisBase() throws KilnException {
    return Optional.empty();
  }

  @Override
  void close();
}
