package dev.kiln.maven;

/**
 * The {@code <hardening>} element. Each field is also settable as {@code -Dkiln.hardening.<name>},
 * which wins over the POM. Values are validated by the engine (defaults: hardening.md).
 */
public class HardeningParams {
  /** SSH port. Default 22. @since 0.1.0 */
  String port;

  /** MaxAuthTries, 1 to 6. Default 3. @since 0.1.0 */
  String maxAuthTries;

  /** LoginGraceTime, a duration such as 30s. Default 30s. @since 0.1.0 */
  String loginGraceTime;

  /** MaxStartups, start:rate:full. Default 10:30:60. @since 0.1.0 */
  String maxStartups;

  /** MaxSessions, 1 to 10. Default 10. @since 0.1.0 */
  String maxSessions;

  /** ClientAliveInterval, a duration. Default 300s. @since 0.1.0 */
  String clientAliveInterval;

  /** ClientAliveCountMax. Default 3. @since 0.1.0 */
  String clientAliveCountMax;

  /** KexAlgorithms, a comma-separated subset of the recipe's allowed set. @since 0.1.0 */
  String kexAlgorithms;

  /** Ciphers, a comma-separated subset of the recipe's allowed set. @since 0.1.0 */
  String ciphers;

  /** MACs, a comma-separated subset of the recipe's allowed set. @since 0.1.0 */
  String macs;

  /** HostKeyAlgorithms, a comma-separated subset of the recipe's allowed set. @since 0.1.0 */
  String hostKeyAlgorithms;

  /** Re-allows TCP forwarding (bastions). Default false. @since 0.1.0 */
  String allowTcpForwarding;

  /** Banner file on the instance, such as /etc/issue.net. Default none. @since 0.1.0 */
  String banner;

  /** Local groups allowed to log in besides the IAM marker group. @since 0.1.0 */
  String allowGroups;

  /** Smallest Diffie-Hellman group kept in /etc/ssh/moduli. Default 3071. @since 0.1.0 */
  String minModuliBits;

  /** Management CIDRs: fail2ban never bans them; launch opens SSH only to them. @since 0.1.0 */
  String trustedCidrs;

  /** fail2ban maxretry. Default 3. @since 0.1.0 */
  String fail2banMaxRetry;

  /** fail2ban findtime, a duration. Default 10m. @since 0.1.0 */
  String fail2banFindTime;

  /** fail2ban bantime (doubled per repeat offence), a duration. Default 1h. @since 0.1.0 */
  String fail2banBanTime;

  /** fail2ban recidive bantime, a duration. Default 1w. @since 0.1.0 */
  String fail2banRecidiveBanTime;
}
