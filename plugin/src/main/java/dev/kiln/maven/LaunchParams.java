package dev.kiln.maven;

/**
 * The {@code <launch>} element. Each field is also settable as {@code -Dkiln.launch.<name>}, which
 * wins over the POM.
 */
public class LaunchParams {
  /**
   * Permits 0.0.0.0/0 and ::/0 in hardening.trustedCidrs for the candidate's security group.
   * Default false. @since 0.1.0
   */
  String allowWorld;

  /** How long to wait for the candidate's SSH banner, in seconds. Default 300. @since 0.1.0 */
  String timeout;

  /** AWS: the candidate's instance type. Default t3.micro. @since 0.1.0 */
  String instanceType;

  /** AWS: the subnet to launch in. Default: the default VPC's. @since 0.1.0 */
  String subnetId;

  /**
   * AWS: the instance profile (name or ARN) whose role may read IAM SSH keys; see
   * kiln:policy. @since 0.1.0
   */
  String instanceProfile;
}
