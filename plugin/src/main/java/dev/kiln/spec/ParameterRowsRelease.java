package dev.kiln.spec;

/** The {@link ParameterTable}'s rows of {@code <publish>} and {@code <rollout>}. */
final class ParameterRowsRelease extends ParameterRows {
  /** Adds the rows, in the table's order. */
  ParameterRowsRelease() {
    release();
  }

  private void release() {
    // <publish>, <rollout>: kiln:publish, kiln:rollout, kiln:rollback (names: publish.Names).
    auto(
        "publish.parameter",
        Types.pattern(
            "(?!/?(?i:aws|ssm))/?[A-Za-z0-9_.{}-]+(/[A-Za-z0-9_.{}-]+){0,14}",
            "an SSM parameter name such as /kiln/team/app/{recipe}: letters, digits, _ . - and /, at"
                + " most 15 levels, not starting with aws or ssm ({recipe} is the recipe id)",
            "/aws/x",
            "/kiln/a b",
            "/kiln//x"),
        "/kiln/<groupId>/<artifactId>/{recipe}",
        "The SSM parameter (aws:ec2:image) that gets a version per published image.");
    p(
        "publish.label",
        Types.pattern(
            "(?!(?i:aws|ssm))[A-Za-z._-][A-Za-z0-9._-]{0,99}",
            "a label of 1 to 100 letters, digits, . _ -, not starting with a digit, aws or ssm",
            "1st",
            "AWS-x",
            "a b"),
        "latest",
        "The label kiln:publish moves to each new version.");
    auto(
        "publish.launchTemplate",
        Types.pattern(
            "lt-[0-9a-f]{17}|[A-Za-z0-9().\\-/_]{3,128}",
            "a launch template id (lt- and 17 hex digits) or name (3 to 128 of letters, digits, ( )"
                + " . - / _)",
            "a",
            "x y z"),
        "none",
        "A launch template that gets a version with the explicit image id (sandbox: created).");
    p(
        "publish.setDefault",
        Types.bool(),
        "false",
        "Makes that launch template version the default.");
    p(
        "publish.timeout",
        durationS(1, 3600),
        "120s",
        "How long to wait until a new parameter version is readable.");
    auto(
        "rollout.group",
        Types.pattern(
            "[A-Za-z0-9][A-Za-z0-9._-]{0,127}",
            "a group name: a letter or digit, then up to 127 letters, digits, . _ -",
            "-x",
            "../etc",
            "a b"),
        "none",
        "The Auto Scaling group (AWS) or sandbox group that kiln:rollout and kiln:rollback replace.");
    p("rollout.size", Types.integer(1, 20), "2", "Sandbox: the group's number of instances.");
    p(
        "rollout.minHealthyPercentage",
        Types.integer(0, 100),
        "90",
        "Instances kept healthy during a rollout, in percent.");
    since(
        "rollout.maxHealthyPercentage",
        Types.integer(100, 200),
        "100",
        "100",
        "Capacity a rollout may use, in percent of the group's size, at most minHealthyPercentage"
            + " + 100: a batch replaces up to max − min percent of the group, at least one"
            + " instance.");
    p("rollout.autoRollback", Types.bool(), "false", "AWS: rolls a failed instance refresh back.");
    auto(
        "rollout.alarms",
        Types.list(
            Types.pattern(
                "[A-Za-z0-9][A-Za-z0-9._:/#+=@-]{0,254}",
                "a CloudWatch alarm name (letters, digits and . _ : / # + = @ -)",
                "a b",
                "$(id)")),
        "none",
        "AWS: CloudWatch alarms that fail the instance refresh (needs autoRollback).");
    p(
        "rollout.timeout",
        durationS(10, 86400),
        "3600s",
        "AWS: how long the instance refresh may take.");
  }
}
