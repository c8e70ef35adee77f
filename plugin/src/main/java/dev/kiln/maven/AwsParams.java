package dev.kiln.maven;

/**
 * The {@code <aws>} element, shared by every goal that talks to AWS. Each field is also settable as
 * {@code -Dkiln.aws.<name>}, which wins over the POM; unset values come from the AWS SDK's default
 * chains.
 */
public class AwsParams {
  /** Named profile of the shared credentials file. @since 0.1.0 */
  String profile;

  /** Region, such as eu-west-1. @since 0.1.0 */
  String region;

  /** EC2 endpoint override URL (an EC2-compatible endpoint). @since 0.1.0 */
  String endpoint;
}
