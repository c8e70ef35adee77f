package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A candidate's network: the namespaces {@code kilnc-<short>-ctl} (the AWS API emulator), {@code
 * -vm} (the candidate) and {@code -usr} (users and attackers: three source addresses on a veth pair
 * to the candidate). The {@code kilnc-} prefix keeps {@link Netns#sweepStale()} of bake sessions
 * away from a candidate kept with {@code -Dkiln.keep}.
 */
public final class CandidateNetwork {
  /** Prefix of every namespace a candidate uses. */
  public static final String NS_PREFIX = "kilnc-";

  /** The candidate's address on the user/attacker link. */
  public static final String CANDIDATE_ADDRESS = "198.19.1.1";

  /** Source addresses in the user namespace: users, attacker (fail2ban probe), negative probes. */
  public static final Map<String, String> SOURCES =
      Map.of("user", "198.19.1.10", "attacker", "198.19.1.11", "probe", "198.19.1.12");

  static final List<String> SOURCE_ORDER = List.of("user", "attacker", "probe");

  /** The emulator's address as the candidate sees it. */
  public static final String CONTROL_ADDRESS = "198.19.0.1";

  static final Duration T = Duration.ofSeconds(20);

  /** The three namespaces of one candidate. */
  record Namespaces(Netns ctl, Netns vm, Netns usr) {}

  private CandidateNetwork() {}

  /** The names of a candidate's namespaces, in the order {@link CandidateState} records them. */
  static List<String> names(String shortId) {
    String pre = NS_PREFIX + shortId + "-";
    return List.of(pre + "usr", pre + "vm", pre + "ctl");
  }

  /**
   * Creates the namespaces and links them: {@code -ctl} to {@code -vm} on a /30, {@code -usr} to
   * {@code -vm} with every source address.
   */
  static Namespaces create(String shortId) throws KilnException {
    String pre = NS_PREFIX + shortId + "-";
    Netns ctl = Netns.create(pre + "ctl");
    Netns vm = Netns.create(pre + "vm");
    Netns usr = Netns.create(pre + "usr");
    Netns.link(ctl, "tovm", CONTROL_ADDRESS + "/30", vm, "ctl0", "198.19.0.2/30");
    Netns.link(usr, "tovm", SOURCES.get("user") + "/24", vm, "eth0", CANDIDATE_ADDRESS + "/24");
    for (String src : SOURCE_ORDER.subList(1, SOURCE_ORDER.size())) {
      Procs.check(
          List.of("ip", "-n", usr.name(), "addr", "add", SOURCES.get(src) + "/24", "dev", "tovm"),
          T);
    }
    return new Namespaces(ctl, vm, usr);
  }

  /** Runs a command in one of the candidate's network namespaces with the host's tools. */
  public static Procs.Result execNetns(String ns, List<String> cmd, Duration timeout)
      throws KilnException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(cmd);
    return Procs.run(all, timeout, Map.of("LC_ALL", "C"));
  }
}
