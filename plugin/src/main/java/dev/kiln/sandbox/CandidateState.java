package dev.kiln.sandbox;

import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Everything a sandbox candidate ({@link CandidateSandbox}) is made of; the caller persists it
 * (instance.json, as JSON through its public fields) after each change, so that a later Maven run
 * can reach and remove the candidate by name and PID.
 */
public final class CandidateState {
  /**
   * One way into the candidate from the host: a loopback port that arrives from {@code address}.
   */
  public record Source(String name, String address, int port, String socket, long hostPid) {}

  public String instanceId;
  public String shortId;
  public String amiId;
  public String region;
  public Path dir;
  public List<String> namespaces = new ArrayList<>();
  public List<Source> sources = new ArrayList<>();
  public String emulatorSocket;
  public long pid1;
  public String hostname;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Random ids: {@code i-<17 hex>} and its first 8 hex digits as the short id. */
  static String[] newIds() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    String hex = HexFormat.of().formatHex(b).substring(0, 17);
    return new String[] {"i-" + hex, hex.substring(0, 8)};
  }

  /** Where a candidate records every process it starts (its directory's {@code procs/}). */
  Ledger ledger() {
    return new Ledger(dir.resolve("procs"));
  }

  /** The source named {@code name} ({@code user}, {@code attacker}, {@code probe}). */
  public Source source(String name) throws KilnException {
    return sources.stream()
        .filter(x -> x.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new KilnException("the candidate has no source " + name));
  }

  /** The {@code -vm} namespace's name. */
  public String vmNamespace() {
    return CandidateNetwork.NS_PREFIX + shortId + "-vm";
  }

  /** The {@code -usr} namespace's name. */
  public String userNamespace() {
    return CandidateNetwork.NS_PREFIX + shortId + "-usr";
  }
}
