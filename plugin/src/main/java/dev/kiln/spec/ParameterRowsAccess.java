package dev.kiln.spec;

/** The {@link ParameterTable}'s rows of {@code <access>}, with its ways in besides IAM keys. */
final class ParameterRowsAccess extends ParameterRows {
  /** Adds the rows, in the table's order. */
  ParameterRowsAccess() {
    access();
    waysIn();
  }

  private void access() {
    // <access>: who may log in, rendered to /etc/kiln/access.json.
    p(
        "access.iamGroups",
        Types.allOr(Types.list(iamGroup())),
        "ssh-admins",
        "IAM groups whose members become local users; * for every IAM user of the account.");
    auto("access.sudoGroups", Types.list(iamGroup()), "none", "IAM groups whose members get sudo.");
    auto(
        "access.localGroups",
        Types.list(Types.unprivilegedGroup()),
        "none",
        "Extra local groups every managed user joins.");
    p(
        "access.markerGroup",
        Types.unprivilegedGroup(),
        "kiln-iam",
        "The local group that marks the users the sync manages.");
    p("access.iamEndpoint", Types.url(), "https://iam.amazonaws.com", "The IAM endpoint.");
    p(
        "access.stsEndpoint",
        Types.url(),
        "https://sts.amazonaws.com",
        "The STS endpoint (for assumeRole).");
    p(
        "access.metadataEndpoint",
        Types.url(),
        "http://169.254.169.254",
        "The instance metadata endpoint.");
    p("access.region", region(), "us-east-1", "The region IAM requests are signed for.");
    p(
        "access.keyCacheTtl",
        durationS(0, 3600),
        "60s",
        "How long fetched keys are cached; revocation takes effect within it.");
    p(
        "access.negativeCacheTtl",
        durationS(0, 86400),
        "5m",
        "How long an unknown user is remembered as unknown.");
    p("access.deadline", durationS(1, 20), "3s", "The hard deadline of one key lookup.");
    p(
        "access.staleIfError",
        durationS(0, 86400),
        "0s",
        "How long a cached key may serve while IAM fails; 0s is off.");
    p(
        "access.syncInterval",
        durationS(60, 86400),
        "10m",
        "The interval of the user sync (jitter added).");
    auto(
        "access.assumeRole",
        Types.pattern(
            "arn:aws[a-z-]{0,10}:iam::[0-9]{12}:role/" + IAM_PATH + "{1,512}",
            "an IAM role ARN such as arn:aws:iam::123456789012:role/ssh-keys",
            "arn:aws:iam::1234:role/x",
            "arn:aws:iam::123456789012:user/x"),
        "none",
        "A role to assume for the IAM reads (another account's users).");
    p("access.uidRange", Types.uidRange(), "200000-299999", "The UIDs of managed users, MIN-MAX.");
    p(
        "access.deleteAfterRuns",
        Types.integer(1, 100),
        "3",
        "Consecutive syncs a user must be absent from IAM before deletion.");
    p("access.keepHome", Types.bool(), "true", "Keeps the home directory of a deleted user.");
    p(
        "access.groupsFromTags",
        Types.bool(),
        "false",
        "Also reads the group lists from the instance's EC2 tags.");
  }

  private void waysIn() {
    // <access><breakGlass>, <instanceConnect>, <sessionManager>: the ways in besides IAM keys.
    since(
        WaysIn.CA,
        WaysIn.caPublicKey(),
        null,
        "none",
        "The CA whose user certificates open the break-glass account (its public key file).");
    since(
        WaysIn.USER,
        WaysIn.accountName(),
        WaysIn.DEFAULT_USER,
        WaysIn.DEFAULT_USER,
        "The break-glass account, also the certificate principal it accepts.");
    since(WaysIn.SUDO, Types.bool(), "true", "true", "Whether the break-glass account has sudo.");
    since(
        WaysIn.INSTANCE_CONNECT,
        Types.oneOf("off", "chain"),
        "off",
        "off",
        "chain: after the IAM keys, the recipe's EC2 Instance Connect helper's keys.");
    since(
        WaysIn.SESSION_MANAGER,
        Types.bool(),
        "false",
        "false",
        "Keeps or installs the SSM agent and enables it (Session Manager).");
  }
}
