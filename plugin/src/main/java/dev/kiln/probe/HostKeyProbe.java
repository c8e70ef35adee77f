package dev.kiln.probe;

import dev.kiln.probe.Prober.R;
import java.util.Optional;

/** Host keys are made at each first boot: two boots of the image offer different keys. */
final class HostKeyProbe {
  private HostKeyProbe() {}

  static final ControlRegistry.Entry UNIQUE =
      new ControlRegistry.Entry(
          "host-keys-unique",
          "Host keys are generated per boot, never baked into the image",
          "the candidate's ed25519 host key differs from another boot's",
          HostKeyProbe::hostKeys);

  private static R hostKeys(ProbeContext c) throws Exception {
    String candidateHostKey = c.candidateHostKey();
    if (candidateHostKey == null) {
      return R.fail("no host key seen (the user login failed)", "");
    }
    Optional<String> other = c.target().otherBootHostKey();
    if (other.isEmpty()) {
      return R.skip("this cloud cannot boot a second instance for comparison");
    }
    String ev =
        "candidate: " + abbreviate(candidateHostKey) + "\nother boot: " + abbreviate(other.get());
    if (!candidateHostKey.startsWith("ssh-ed25519")) {
      return R.fail(
          "the candidate offered " + candidateHostKey.split(" ")[0] + ", expected ssh-ed25519", ev);
    }
    if (Ssh.sameKey(candidateHostKey, other.get())) {
      return R.fail("two boots of the image share a host key (keys baked into the image)", ev);
    }
    return R.pass("another boot of the same image has a different ed25519 host key", ev);
  }

  private static String abbreviate(String key) {
    String[] f = key.split(" ");
    String b = f.length > 1 ? f[1] : f[0];
    return f[0]
        + " "
        + (b.length() > 24 ? b.substring(0, 12) + "…" + b.substring(b.length() - 12) : b);
  }
}
