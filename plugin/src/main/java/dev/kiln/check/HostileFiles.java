package dev.kiln.check;

import java.util.Map;

/**
 * Files that real cloud images ship and that claim sshd's key slot. kiln:validate reads them with
 * the bundle, and every sandbox bake plants them in its builder before provisioning, as if the base
 * image had them, so that every sandbox image proves Kiln keeps the slot.
 */
public final class HostileFiles {
  private HostileFiles() {}

  /** Debian 13's systemd ships this sshd drop-in (systemd-userdb's key command). */
  public static final String USERDB_DROP_IN_NAME = "20-systemd-userdb.conf";

  public static final String USERDB_DROP_IN =
      "# Written by systemd (Debian 13): lets userdb records carry SSH keys.\n"
          + "AuthorizedKeysCommand /usr/bin/userdbctl ssh-authorized-keys %u\n"
          + "AuthorizedKeysCommandUser root\n";

  /**
   * The unit drop-in of Ubuntu's ec2-instance-connect package: it restarts sshd with {@code -o}
   * options that take the key slot, which beat every configuration file.
   */
  public static final String EIC_UNIT_DROP_IN_NAME = "ec2-instance-connect.conf";

  public static final String EIC_UNIT_DROP_IN =
      "[Service]\n"
          + "ExecStart=\n"
          + "ExecStart=/usr/sbin/sshd -D -o \"AuthorizedKeysCommand"
          + " /usr/share/ec2-instance-connect/eic_run_authorized_keys %%u %%f\""
          + " -o \"AuthorizedKeysCommandUser ec2-instance-connect\" $SSHD_OPTS\n";

  /** Where the sandbox plants them, relative to the root: path → content. */
  public static Map<String, String> planted(String sshdConfigDir, String sshdUnit) {
    return Map.of(
        (sshdConfigDir + "/" + USERDB_DROP_IN_NAME).substring(1),
        USERDB_DROP_IN,
        "usr/lib/systemd/system/" + sshdUnit + ".service.d/" + EIC_UNIT_DROP_IN_NAME,
        EIC_UNIT_DROP_IN);
  }
}
