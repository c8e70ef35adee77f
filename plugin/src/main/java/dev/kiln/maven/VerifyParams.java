package dev.kiln.maven;

/**
 * The {@code <verify>} element: how to log in to a candidate outside the sandbox, where verify
 * makes no IAM changes. Each field is also settable as {@code -Dkiln.verify.<name>}.
 */
public class VerifyParams {
  /**
   * AWS: an existing IAM user in an authorized group (lowercase name = its local name). @since
   * 0.1.0
   */
  String iamUser;

  /** AWS: the private key file of that user's Active IAM SSH key. @since 0.1.0 */
  String keyFile;
}
