package dev.kiln.spec;

/**
 * Every {@code kiln.*} user property, in one place, mirroring the XML nesting of the plugin's
 * configuration: {@code <hardening><maxAuthTries>} is {@code -Dkiln.hardening.maxAuthTries}.
 *
 * <p>The engine reports errors by parameter path ({@link #HARDENING_MAX_AUTH_TRIES} without the
 * {@code kiln.} prefix); the goals turn a path back into both spellings for the user.
 */
public final class Props {
  private Props() {}

  public static final String PREFIX = "kiln.";

  // Top level.
  public static final String SKIP = "kiln.skip";
  public static final String CLOUD = "kiln.cloud";
  public static final String RECIPES = "kiln.recipes";
  public static final String TEMPLATES_DIR = "kiln.templatesDir";
  public static final String RECIPES_DIR = "kiln.recipesDir";
  public static final String OUTPUT_DIR = "kiln.outputDir";
  public static final String RUN_ID = "kiln.runId";

  // Per-goal skips.
  public static final String RENDER_SKIP = "kiln.render.skip";
  public static final String VALIDATE_SKIP = "kiln.validate.skip";
  public static final String BAKE_SKIP = "kiln.bake.skip";
  public static final String LAUNCH_SKIP = "kiln.launch.skip";
  public static final String VERIFY_SKIP = "kiln.verify.skip";
  public static final String TERMINATE_SKIP = "kiln.terminate.skip";
  public static final String PRUNE_SKIP = "kiln.prune.skip";

  // <hardening>
  public static final String HARDENING_PORT = "kiln.hardening.port";
  public static final String HARDENING_MAX_AUTH_TRIES = "kiln.hardening.maxAuthTries";
  public static final String HARDENING_LOGIN_GRACE_TIME = "kiln.hardening.loginGraceTime";
  public static final String HARDENING_MAX_STARTUPS = "kiln.hardening.maxStartups";
  public static final String HARDENING_MAX_SESSIONS = "kiln.hardening.maxSessions";
  public static final String HARDENING_CLIENT_ALIVE_INTERVAL = "kiln.hardening.clientAliveInterval";
  public static final String HARDENING_CLIENT_ALIVE_COUNT_MAX =
      "kiln.hardening.clientAliveCountMax";
  public static final String HARDENING_KEX_ALGORITHMS = "kiln.hardening.kexAlgorithms";
  public static final String HARDENING_CIPHERS = "kiln.hardening.ciphers";
  public static final String HARDENING_MACS = "kiln.hardening.macs";
  public static final String HARDENING_HOST_KEY_ALGORITHMS = "kiln.hardening.hostKeyAlgorithms";
  public static final String HARDENING_ALLOW_TCP_FORWARDING = "kiln.hardening.allowTcpForwarding";
  public static final String HARDENING_BANNER = "kiln.hardening.banner";
  public static final String HARDENING_ALLOW_GROUPS = "kiln.hardening.allowGroups";
  public static final String HARDENING_MIN_MODULI_BITS = "kiln.hardening.minModuliBits";
  public static final String HARDENING_TRUSTED_CIDRS = "kiln.hardening.trustedCidrs";
  public static final String HARDENING_FAIL2BAN_MAX_RETRY = "kiln.hardening.fail2banMaxRetry";
  public static final String HARDENING_FAIL2BAN_FIND_TIME = "kiln.hardening.fail2banFindTime";
  public static final String HARDENING_FAIL2BAN_BAN_TIME = "kiln.hardening.fail2banBanTime";
  public static final String HARDENING_FAIL2BAN_RECIDIVE_BAN_TIME =
      "kiln.hardening.fail2banRecidiveBanTime";

  // <access>
  public static final String ACCESS_IAM_GROUPS = "kiln.access.iamGroups";
  public static final String ACCESS_SUDO_GROUPS = "kiln.access.sudoGroups";
  public static final String ACCESS_LOCAL_GROUPS = "kiln.access.localGroups";
  public static final String ACCESS_MARKER_GROUP = "kiln.access.markerGroup";
  public static final String ACCESS_IAM_ENDPOINT = "kiln.access.iamEndpoint";
  public static final String ACCESS_STS_ENDPOINT = "kiln.access.stsEndpoint";
  public static final String ACCESS_METADATA_ENDPOINT = "kiln.access.metadataEndpoint";
  public static final String ACCESS_REGION = "kiln.access.region";
  public static final String ACCESS_KEY_CACHE_TTL = "kiln.access.keyCacheTtl";
  public static final String ACCESS_NEGATIVE_CACHE_TTL = "kiln.access.negativeCacheTtl";
  public static final String ACCESS_DEADLINE = "kiln.access.deadline";
  public static final String ACCESS_STALE_IF_ERROR = "kiln.access.staleIfError";
  public static final String ACCESS_SYNC_INTERVAL = "kiln.access.syncInterval";
  public static final String ACCESS_ASSUME_ROLE = "kiln.access.assumeRole";
  public static final String ACCESS_UID_RANGE = "kiln.access.uidRange";
  public static final String ACCESS_DELETE_AFTER_RUNS = "kiln.access.deleteAfterRuns";
  public static final String ACCESS_KEEP_HOME = "kiln.access.keepHome";
  public static final String ACCESS_GROUPS_FROM_TAGS = "kiln.access.groupsFromTags";

  // <packer>
  public static final String PACKER_EXECUTABLE = "kiln.packer.executable";
  public static final String PACKER_TIMEOUT = "kiln.packer.timeout";
  public static final String PACKER_INSTANCE_TYPE = "kiln.packer.instanceType";

  // <bake>
  public static final String BAKE_FORCE = "kiln.bake.force";
  public static final String BAKE_REGIONS = "kiln.bake.regions";
  public static final String BAKE_ENCRYPT_BOOT = "kiln.bake.encryptBoot";
  public static final String BAKE_LAUNCH_PERMISSIONS = "kiln.bake.launchPermissions";

  // <aws>
  public static final String AWS_PROFILE = "kiln.aws.profile";
  public static final String AWS_REGION = "kiln.aws.region";
  public static final String AWS_ENDPOINT = "kiln.aws.endpoint";

  // <sandbox>
  public static final String SANDBOX_CACHE_DIR = "kiln.sandbox.cacheDir";

  // <launch>, <verify>, <terminate>, <prune>
  public static final String AMI_ID = "kiln.ami.id";
  public static final String LAUNCH_ALLOW_WORLD = "kiln.launch.allowWorld";
  public static final String LAUNCH_TIMEOUT = "kiln.launch.timeout";
  public static final String LAUNCH_INSTANCE_TYPE = "kiln.launch.instanceType";
  public static final String LAUNCH_SUBNET_ID = "kiln.launch.subnetId";
  public static final String LAUNCH_INSTANCE_PROFILE = "kiln.launch.instanceProfile";
  public static final String POLICY_SKIP = "kiln.policy.skip";
  public static final String VERIFY_IAM_USER = "kiln.verify.iamUser";
  public static final String VERIFY_KEY_FILE = "kiln.verify.keyFile";
  public static final String KEEP = "kiln.keep";
  public static final String PRUNE_KEEP = "kiln.prune.keep";
  public static final String PRUNE_DRY_RUN = "kiln.prune.dryRun";

  // Properties Kiln sets for later goals and plugins.
  public static final String OUT_AMI_ID = "kiln.ami.id";
  public static final String OUT_INSTANCE_ID = "kiln.instance.id";
  public static final String OUT_INSTANCE_HOST = "kiln.instance.host";
  public static final String OUT_INSTANCE_PORT = "kiln.instance.port";
}
