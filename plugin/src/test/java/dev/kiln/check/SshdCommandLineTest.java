package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.check.SshdCommandLine.UnitFile;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SshdCommandLineTest {
  /** bookworm's ssh.service, as shipped. */
  static final String DEBIAN_UNIT =
      "[Unit]\nDescription=OpenBSD Secure Shell server\n\n[Service]\n"
          + "EnvironmentFile=-/etc/default/ssh\nExecStartPre=/usr/sbin/sshd -t\n"
          + "ExecStart=/usr/sbin/sshd -D $SSHD_OPTS\nExecReload=/usr/sbin/sshd -t\n"
          + "ExecReload=/bin/kill -HUP $MAINPID\n\n[Install]\nWantedBy=multi-user.target\n";

  @Test
  void theUnitAloneStartsSshdWithItsOptionsFromTheEnvironmentFile() {
    Map<String, String> env =
        SshdCommandLine.environment("# opts\nSSHD_OPTS=\"-o 'LogLevel INFO'\"\n");
    assertThat(
            SshdCommandLine.execStart(List.of(new UnitFile("ssh.service", DEBIAN_UNIT)), Map.of()))
        .containsExactly("/usr/sbin/sshd", "-D");
    // $VAR is split at whitespace (quotes inside the value are not parsed again)
    assertThat(SshdCommandLine.execStart(List.of(new UnitFile("ssh.service", DEBIAN_UNIT)), env))
        .containsExactly("/usr/sbin/sshd", "-D", "-o", "'LogLevel", "INFO'");
  }

  @Test
  void instanceConnectsDropInReplacesExecStartWithItsOptions() {
    List<String> argv =
        SshdCommandLine.execStart(
            List.of(
                new UnitFile("ssh.service", DEBIAN_UNIT),
                new UnitFile(HostileFiles.EIC_UNIT_DROP_IN_NAME, HostileFiles.EIC_UNIT_DROP_IN)),
            Map.of());
    assertThat(argv)
        .containsExactly(
            "/usr/sbin/sshd",
            "-D",
            "-o",
            "AuthorizedKeysCommand /usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f",
            "-o",
            "AuthorizedKeysCommandUser ec2-instance-connect");
    assertThat(SshdCommandLine.configOptions(argv))
        .containsExactly(
            "-o",
            "AuthorizedKeysCommand /usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f",
            "-o",
            "AuthorizedKeysCommandUser ec2-instance-connect");
  }

  @Test
  void prefixesContinuationsEscapesAndOtherSectionsAreHandled() {
    String unit =
        "[Unit]\nExecStart=/not/a/service/key\n[Service]\nExecStart=-/usr/sbin/sshd \\\n"
            + "  -D -oPermitRootLogin=yes -p 2222 -E /var/log/x \"-o\" 'Banner /etc/a b' x\\ y\n";
    List<String> argv = SshdCommandLine.execStart(List.of(new UnitFile("u", unit)), Map.of());
    assertThat(argv)
        .containsExactly(
            "/usr/sbin/sshd",
            "-D",
            "-oPermitRootLogin=yes",
            "-p",
            "2222",
            "-E",
            "/var/log/x",
            "-o",
            "Banner /etc/a b",
            "x y");
    assertThat(SshdCommandLine.configOptions(argv))
        .containsExactly("-o", "PermitRootLogin=yes", "-p", "2222", "-o", "Banner /etc/a b");
  }

  @Test
  void anEmptyExecStartInALaterDropInLeavesNoCommand() {
    assertThat(
            SshdCommandLine.execStart(
                List.of(
                    new UnitFile("a", DEBIAN_UNIT), new UnitFile("b", "[Service]\nExecStart=\n")),
                Map.of()))
        .isEmpty();
  }

  @Test
  void theListenersProcessTitleGivesBackItsOptions() {
    byte[] title =
        ("sshd: /usr/sbin/sshd -D -o AuthorizedKeysCommand /usr/share/ec2-instance-connect/"
                + "eic_run_authorized_keys %u %f -o AuthorizedKeysCommandUser ec2-instance-connect"
                + " -E /var/log/sshd.log [listener] 0 of 10-100 startups\0\0\0")
            .getBytes(StandardCharsets.UTF_8);
    List<String> argv = SshdCommandLine.fromProcess(title);
    assertThat(SshdCommandLine.configOptions(argv))
        .containsExactly(
            "-o",
            "AuthorizedKeysCommand /usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f",
            "-o",
            "AuthorizedKeysCommandUser ec2-instance-connect");
    // before the title is set, cmdline is argv itself
    byte[] raw = "/usr/sbin/sshd\0-D\0-o\0LogLevel QUIET\0".getBytes(StandardCharsets.UTF_8);
    assertThat(SshdCommandLine.fromProcess(raw))
        .containsExactly("/usr/sbin/sshd", "-D", "-o", "LogLevel QUIET");
    assertThat(
            SshdCommandLine.configOptions(
                SshdCommandLine.fromProcess(
                    "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"
                        .getBytes(StandardCharsets.UTF_8))))
        .isEmpty();
  }
}
