package dev.kiln.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every parameter of every Kiln goal, once: its path (which is both the XML nesting and the {@code
 * -D} property), its type with bounds or pattern, its default, one line of meaning and {@code
 * @since}. Reading (POM and {@code -D}, where {@code -D} wins), validating in one pass, error
 * messages, {@code kiln:help -Ddetail} (checked by ParameterDocsTest), the README's table
 * (checked by the same test) and the fuzz test (ParameterFuzzTest) all come from this list.
 *
 * <p>To add a parameter: add one {@code p(...)} line below in its element's block (a new element
 * also needs a {@code Map<String, String>} field of that name in {@code
 * dev.kiln.maven.KilnParameters}); read it in the engine with {@link ParameterValues}; then run
 * {@code ./mvnw -pl plugin test -Dtest=ParameterDocsTest -Dkiln.docs.update=true} to regenerate the
 * README table and print the javadoc the help needs. The fuzz test covers it without changes.
 */
public final class ParameterTable {
  private ParameterTable() {}

  private static final String V010 = "0.1.0";
  private static final String V020 = "0.2.0";

  static final String REGION_RE =
      "(af|ap|ca|cn|eu|il|me|mx|sa|us)(-gov|-iso[a-z]?)?-(north|south|east|west|central"
          + "|northeast|northwest|southeast|southwest)-[1-9]";
  private static final String REGION_FORM = "an AWS region such as eu-west-1";
  private static final String IAM_NAME = "[A-Za-z0-9_+=.@-]";
  private static final String IAM_PATH = "[A-Za-z0-9_+=.@/-]";
  private static final String INSTANCE_TYPE_RE = "[a-z][a-z0-9-]{0,15}\\.[a-z0-9-]{1,16}";
  private static final String INSTANCE_TYPE_FORM = "an EC2 instance type such as t3.micro";

  private static ValueType region() {
    return Types.pattern(REGION_RE, REGION_FORM, "mars-north-9", "us-east-0", "US-EAST-1");
  }

  private static ValueType instanceType() {
    return Types.pattern(INSTANCE_TYPE_RE, INSTANCE_TYPE_FORM, "t3", "T3.MICRO", ".micro");
  }

  private static ValueType durationS(long min, long max) {
    return Types.duration(min, max, "s");
  }

  private static final List<Parameter> ALL = new ArrayList<>();

  static {
    // Top level.
    p("skip", Types.bool(), "false", "Skips every Kiln goal.");
    auto(
        "cloud",
        Types.oneOf(CloudSettings.NAMES.toArray(String[]::new)),
        "aws when AWS credentials are configured, else sandbox",
        "Where images are baked and launched.");
    auto(
        "recipes",
        Types.list(
            Types.pattern(
                "[a-z0-9][a-z0-9.-]{0,39}", "a recipe id such as debian-12", "Debian", "-x")),
        "every recipe",
        "Recipe ids: al2023, ubuntu-24.04, ubuntu-22.04, debian-12, rhel-9, or your own.");
    auto(
        "templatesDir",
        PathTypes.existingDirectory(),
        "none",
        "Your templates; a file overrides the built-in one of the same relative name.");
    auto(
        "recipesDir",
        PathTypes.existingDirectory(),
        "none",
        "Your recipes (<id>.yaml), checked against recipe.schema.json.");
    p(
        "outputDir",
        PathTypes.writableDirectory(),
        "target/kiln",
        "Where Kiln writes bundles, reports and bake.json.");
    auto(
        "runId",
        Types.pattern("[a-z0-9-]{1,64}", "lowercase letters, digits and -, at most 64", "Run1"),
        "generated per run",
        "The kiln:run-id tag of everything a bake or launch creates in a cloud.");
    for (String goal :
        List.of(
            "render",
            "validate",
            "bake",
            "launch",
            "verify",
            "terminate",
            "prune",
            "policy",
            "publish",
            "rollout",
            "rollback")) {
      p(goal + ".skip", Types.bool(), "false", "Skips kiln:" + goal + ".");
    }

    // <hardening>: sshd and fail2ban (defaults: docs/hardening.md).
    p("hardening.port", Types.integer(1, 65535), "22", "The SSH port.");
    p("hardening.maxAuthTries", Types.integer(1, 6), "3", "sshd's MaxAuthTries.");
    p("hardening.loginGraceTime", durationS(5, 120), "30s", "sshd's LoginGraceTime.");
    p(
        "hardening.maxStartups",
        Types.maxStartups(),
        "10:30:60",
        "sshd's MaxStartups: unauthenticated connections before sshd drops new ones.");
    p("hardening.maxSessions", Types.integer(1, 10), "10", "sshd's MaxSessions.");
    p("hardening.clientAliveInterval", durationS(1, 3600), "300s", "sshd's ClientAliveInterval.");
    p("hardening.clientAliveCountMax", Types.integer(0, 10), "3", "sshd's ClientAliveCountMax.");
    for (String kind : List.of("kexAlgorithms", "ciphers", "macs", "hostKeyAlgorithms")) {
      auto(
          "hardening." + kind,
          Types.list(
              Types.pattern("[a-z0-9@.+-]{3,64}", "an OpenSSH algorithm name", "AES256", "x")),
          "the recipe's",
          "sshd's "
              + kind.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
              + kind.substring(1)
              + ": a subset of what Kiln allows with the recipe's OpenSSH version.");
    }
    p(
        "hardening.allowTcpForwarding",
        Types.bool(),
        "false",
        "Re-allows TCP forwarding (bastions).");
    auto(
        "hardening.banner",
        Types.withBad(
            Types.oneOf("/etc/issue.net", "/etc/issue", "none"),
            "/etc/shadow",
            "/proc/self/environ",
            "/etc/issue.net/../shadow"),
        "none; /etc/issue.net with bannerText",
        "The file sshd sends before authentication.");
    p(
        "hardening.bannerText",
        Types.text(2000),
        null,
        "none",
        "Text Kiln renders to /etc/issue.net and sshd sends before authentication.",
        V020);
    auto(
        "hardening.allowGroups",
        Types.list(
            Types.pattern(
                "[a-z_][a-z0-9_-]{0,31}",
                "a Linux group name ([a-z_][a-z0-9_-]*, at most 32 characters)",
                "Admins")),
        "none",
        "Local groups allowed to log in besides the IAM marker group.");
    p(
        "hardening.minModuliBits",
        Types.integer(2047, 8191),
        "3071",
        "Smallest Diffie-Hellman group kept in /etc/ssh/moduli.");
    auto(
        "hardening.trustedCidrs",
        Types.list(Cidr.trusted()),
        "none",
        "Management networks: fail2ban never bans them; launch opens SSH only to them.");
    p("hardening.fail2banMaxRetry", Types.integer(1, 20), "3", "fail2ban's maxretry.");
    p("hardening.fail2banFindTime", durationS(60, 86400), "10m", "fail2ban's findtime.");
    p(
        "hardening.fail2banBanTime",
        durationS(60, 2419200),
        "1h",
        "fail2ban's bantime, doubled for each repeated offence.");
    p(
        "hardening.fail2banRecidiveBanTime",
        durationS(3600, 31536000),
        "1w",
        "The bantime of fail2ban's recidive jail.");

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

  private static ValueType iamGroup() {
    return Types.pattern(IAM_NAME + "{1,128}", "an IAM group name", "*");
  }

  private static void p(String path, ValueType type, String dflt, String doc) {
    p(path, type, dflt, dflt, doc, V010);
  }

  private static void auto(String path, ValueType type, String defaultText, String doc) {
    p(path, type, null, defaultText, doc, V010);
  }

  private static void since(
      String path, ValueType type, String dflt, String defaultText, String doc) {
    p(path, type, dflt, defaultText, doc, V020);
  }

  /** Adds a row; a null {@code dflt} means the default is computed, as {@code defaultText} says. */
  private static void p(
      String path, ValueType type, String dflt, String defaultText, String doc, String since) {
    ALL.add(new Parameter(path, type, dflt, defaultText, doc, since));
  }

  /** Every parameter, in the table's order. */
  public static List<Parameter> all() {
    return List.copyOf(ALL);
  }

  /** Parameters by path. */
  public static Map<String, Parameter> byPath() {
    Map<String, Parameter> m = new LinkedHashMap<>();
    ALL.forEach(p -> m.put(p.path(), p));
    return m;
  }

  /** The elements that hold nested parameters ({@code hardening}, {@code access}, ...). */
  public static Set<String> groups() {
    Set<String> s = new LinkedHashSet<>();
    ALL.stream().map(Parameter::group).filter(g -> g != null).forEach(s::add);
    return s;
  }
}
