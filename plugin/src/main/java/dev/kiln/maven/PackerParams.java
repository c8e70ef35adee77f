package dev.kiln.maven;

/**
 * The {@code <packer>} element. Each field is also settable as {@code -Dkiln.packer.<name>}, which
 * wins over the POM.
 */
public class PackerParams {
  /** Path or name of the packer executable. Default: packer on the PATH. @since 0.1.0 */
  String executable;

  /** How long one Packer build may take, in minutes. Default 60. @since 0.1.0 */
  String timeout;

  /** The builder's instance type. Default: the template's t3.micro. @since 0.1.0 */
  String instanceType;
}
