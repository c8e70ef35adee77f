package dev.kiln.maven;

/**
 * The {@code <access>} element: who may log in, rendered to {@code /etc/kiln/access.json}. Each
 * field is also settable as {@code -Dkiln.access.<name>}, which wins over the POM.
 */
public class AccessParams {
  /**
   * IAM groups whose members become local users. Default ssh-admins; {@code *}: every IAM user of
   * the account. @since 0.1.0
   */
  String iamGroups;

  /** IAM groups whose members get sudo. Default none. @since 0.1.0 */
  String sudoGroups;

  /** Extra local groups every managed user joins. @since 0.1.0 */
  String localGroups;

  /** Local group marking the users the sync manages. Default kiln-iam. @since 0.1.0 */
  String markerGroup;

  /** IAM endpoint. Default https://iam.amazonaws.com. @since 0.1.0 */
  String iamEndpoint;

  /** STS endpoint (for assumeRole). Default https://sts.amazonaws.com. @since 0.1.0 */
  String stsEndpoint;

  /** Instance metadata endpoint. Default http://169.254.169.254. @since 0.1.0 */
  String metadataEndpoint;

  /** Region used for request signing. Default us-east-1. @since 0.1.0 */
  String region;

  /**
   * How long fetched keys are cached; revocation takes effect within it. Default 60s. @since 0.1.0
   */
  String keyCacheTtl;

  /** How long an unknown user is remembered as such. Default 5m. @since 0.1.0 */
  String negativeCacheTtl;

  /** Hard deadline of one key lookup. Default 3s. @since 0.1.0 */
  String deadline;

  /** How long a cached key may serve when IAM fails; 0 (default) is off. @since 0.1.0 */
  String staleIfError;

  /** Interval of the user sync (jitter added). Default 10m. @since 0.1.0 */
  String syncInterval;

  /** Role ARN to assume for IAM reads (cross-account). @since 0.1.0 */
  String assumeRole;

  /** UIDs of managed users, MIN-MAX. Default 200000-299999. @since 0.1.0 */
  String uidRange;

  /** Consecutive runs a user must be absent from IAM before deletion. Default 3. @since 0.1.0 */
  String deleteAfterRuns;

  /** Keep home directories of deleted users. Default true. @since 0.1.0 */
  String keepHome;

  /** Read group lists from the instance's EC2 tags as well. Default false. @since 0.1.0 */
  String groupsFromTags;
}
