package dev.kiln.probe;

import dev.kiln.check.CheckInput;
import java.util.List;

/**
 * What the probes expect, from the resolved configuration.
 *
 * @param iamGroups authorized IAM groups ({@code <access><iamGroups>}; empty: every IAM user)
 * @param sudoGroups IAM groups whose members get sudo
 * @param keyCacheTtl seconds a fetched key may be served from the key command's cache
 * @param maxRetry fail2ban's maxretry
 * @param expected the bundle's recipe and resolved maps, for the effective sshd configuration;
 *     null skips that control
 * @param loginUser the image's default login user (also tried with a password)
 */
public record ProbeSettings(
    List<String> iamGroups,
    List<String> sudoGroups,
    int keyCacheTtl,
    int maxRetry,
    CheckInput expected,
    String loginUser) {

  public ProbeSettings {
    iamGroups = List.copyOf(iamGroups);
    sudoGroups = List.copyOf(sudoGroups);
  }
}
