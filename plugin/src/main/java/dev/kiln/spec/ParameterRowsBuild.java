package dev.kiln.spec;

/**
 * The {@link ParameterTable}'s rows of {@code <aws>}, {@code <sandbox>}, {@code <packer>}, {@code
 * <bake>}, {@code <ami>}, {@code <launch>}, {@code <verify>}, {@code <terminate>} and {@code
 * <prune>}.
 */
final class ParameterRowsBuild extends ParameterRows {
  /** Adds the rows, in the table's order. */
  ParameterRowsBuild() {
    cloudAccess();
    bake();
    candidate();
  }

  private void cloudAccess() {
    // <aws>, <sandbox>: how to reach a cloud.
    String sdk = "the AWS SDK's default chain";
    auto(
        "aws.profile",
        Types.pattern("[A-Za-z0-9_.+=,@-]{1,64}", "an AWS profile name ([A-Za-z0-9_.+=,@-])"),
        sdk,
        "The named profile of the shared AWS configuration.");
    auto("aws.region", region(), sdk, "The AWS region.");
    auto("aws.endpoint", Types.url(), "AWS's", "An EC2-compatible endpoint URL.");
    auto(
        "sandbox.cacheDir",
        PathTypes.writableDirectory(),
        "$XDG_CACHE_HOME/kiln or ~/.cache/kiln",
        "The sandbox's cache: base root filesystems and image layers.");
  }

  private void bake() {
    // <packer>, <bake>.
    auto(
        "packer.executable",
        PathTypes.executable(),
        "packer on the PATH",
        "The packer command or executable.");
    p(
        "packer.timeout",
        Types.duration(60, 86400, "m"),
        "60m",
        "How long one Packer build may take.");
    auto("packer.instanceType", instanceType(), "t3.micro", "The instance type of the builder.");
    p(
        "bake.force",
        Types.bool(),
        "false",
        "Bakes again even when an image with the same bake key exists.");
    auto(
        "bake.regions",
        Types.list(region()),
        "none",
        "Further regions the image is copied to, tags included.");
    p("bake.encryptBoot", Types.bool(), "false", "Encrypts the boot volume of the image.");
    auto(
        "bake.launchPermissions",
        Types.list(Types.pattern("[0-9]{12}", "a 12-digit AWS account id", "all", "12345678901")),
        "none",
        "AWS accounts allowed to launch the image.");
  }

  private void candidate() {
    // <ami>, <launch>, <verify>, <prune>.
    auto(
        "ami.id",
        Types.pattern("ami-[0-9a-f]{8,17}", "an AMI id such as ami-0123456789abcdef0", "ami-X"),
        "what kiln:bake set, else target/kiln/bake.json",
        "The image kiln:launch boots.");
    p(
        "launch.allowWorld",
        Types.bool(),
        "false",
        "AWS: also opens the candidate's SSH port to 0.0.0.0/0 and ::/0.");
    p(
        "launch.timeout",
        durationS(1, 3600),
        "300s",
        "How long to wait for the candidate's SSH banner.");
    auto("launch.instanceType", instanceType(), "t3.micro", "AWS: the candidate's instance type.");
    auto(
        "launch.subnetId",
        Types.pattern(
            "subnet-([0-9a-f]{8}|[0-9a-f]{17})", "a subnet id such as subnet-0123abcd", "subnet-"),
        "the default VPC's",
        "AWS: the subnet to launch in.");
    auto(
        "launch.instanceProfile",
        Types.pattern(
            IAM_NAME
                + "{1,128}|arn:aws[a-z-]{0,10}:iam::[0-9]{12}:instance-profile/"
                + IAM_PATH
                + "{1,128}",
            "an instance profile name or ARN",
            "arn:aws:iam::1:instance-profile/x"),
        "none",
        "AWS: the instance profile whose role may read IAM SSH keys (see kiln:policy).");
    p(
        "launch.keep",
        Types.bool(),
        "false",
        "Leaves the candidate running after the build; kiln:terminate removes it.");
    auto(
        "verify.iamUser",
        Types.pattern(IAM_NAME + "{1,64}", "an IAM user name"),
        "none",
        "AWS: an existing IAM user of an authorized group to log in as.");
    auto(
        "verify.keyFile",
        PathTypes.existingFile(),
        "none",
        "AWS: the private key of that user's Active IAM SSH key.");
    since(
        WaysIn.CA_KEY,
        PathTypes.existingFile(),
        null,
        "none",
        "The break-glass CA's private key, which break-glass-login issues certificates with.");
    since(
        "verify.lynisMinIndex",
        Types.integer(0, 100),
        null,
        "none",
        "Sandbox: the lowest Lynis hardening index (of its SSH tests) lynis-ssh accepts.");
    since(
        "terminate.all",
        Types.bool(),
        "false",
        "false",
        "kiln:terminate lists and removes every candidate recorded on this machine (under"
            + " <sandbox><cacheDir>), of any project.");
    p("prune.keep", Types.integer(0, 1000), "3", "How many images to keep per recipe.");
    p("prune.dryRun", Types.bool(), "false", "Only lists what would be removed.");
    p(
        "prune.keepPublished",
        Types.integer(0, 100),
        "5",
        "Images of the newest this many versions of each aws:ec2:image parameter are kept (so are"
            + " those of labelled versions, launch template versions and sandbox groups).");
  }
}
