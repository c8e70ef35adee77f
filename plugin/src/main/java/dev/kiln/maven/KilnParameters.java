package dev.kiln.maven;

import java.util.Map;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * The parameter fields every Kiln goal has, so that one plugin-level configuration serves all goals
 * and every goal validates the whole configuration. Each element is a map whose keys are the names
 * in dev.kiln.spec.ParameterTable; its javadoc is what {@code kiln:help -Ddetail} prints and is
 * checked against the table by ParameterDocsTest (which prints the text to paste when they differ).
 * Values are read, with {@code -D} winning, by {@link AbstractKilnMojo}.
 */
abstract class KilnParameters extends org.apache.maven.plugin.AbstractMojo {
  // PARAMETER-FIELDS-BEGIN
  /**
   * Skips every Kiln goal. -Dkiln.skip, default false. Form: true or false (any case).
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.skip")
  String skip;

  /**
   * Where images are baked and launched. -Dkiln.cloud, default aws when AWS credentials are
   * configured, else sandbox. Form: one of aws, sandbox.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.cloud")
  String cloud;

  /**
   * Recipe ids: al2023, ubuntu-24.04, ubuntu-22.04, debian-12, rhel-9, or your own. -Dkiln.recipes,
   * default every recipe. Form: a comma-separated list, each a recipe id such as debian-12.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.recipes")
  String recipes;

  /**
   * Your templates; a file overrides the built-in one of the same relative name.
   * -Dkiln.templatesDir, default none. Form: an existing directory (relative to the project).
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.templatesDir")
  String templatesDir;

  /**
   * Your recipes (&lt;id&gt;.yaml), checked against recipe.schema.json. -Dkiln.recipesDir, default
   * none. Form: an existing directory (relative to the project).
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.recipesDir")
  String recipesDir;

  /**
   * Where Kiln writes bundles, reports and bake.json. -Dkiln.outputDir, default target/kiln. Form:
   * a directory path (relative to the project) that is not the filesystem root, a system directory
   * or the home directory itself.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.outputDir")
  String outputDir;

  /**
   * The kiln:run-id tag of everything a bake or launch creates in a cloud. -Dkiln.runId, default
   * generated per run. Form: lowercase letters, digits and -, at most 64.
   *
   * @since 0.1.0
   */
  @Parameter(property = "kiln.runId")
  String runId;

  /**
   * The &lt;render&gt; element. Each nested parameter is also the property
   * -Dkiln.render.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.render.skip, default false): Skips kiln:render. Form: true or false
   *       (any case).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> render;

  /**
   * The &lt;validate&gt; element. Each nested parameter is also the property
   * -Dkiln.validate.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.validate.skip, default false): Skips kiln:validate. Form: true or
   *       false (any case).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> validate;

  /**
   * The &lt;bake&gt; element. Each nested parameter is also the property -Dkiln.bake.&lt;name&gt;,
   * which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.bake.skip, default false): Skips kiln:bake. Form: true or false (any
   *       case).
   *   <li>&lt;force&gt; (-Dkiln.bake.force, default false): Bakes again even when an image with the
   *       same bake key exists. Form: true or false (any case).
   *   <li>&lt;regions&gt; (-Dkiln.bake.regions, default none): Further regions the image is copied
   *       to, tags included. Form: a comma-separated list, each an AWS region such as eu-west-1.
   *   <li>&lt;encryptBoot&gt; (-Dkiln.bake.encryptBoot, default false): Encrypts the boot volume of
   *       the image. Form: true or false (any case).
   *   <li>&lt;launchPermissions&gt; (-Dkiln.bake.launchPermissions, default none): AWS accounts
   *       allowed to launch the image. Form: a comma-separated list, each a 12-digit AWS account
   *       id.
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> bake;

  /**
   * The &lt;launch&gt; element. Each nested parameter is also the property
   * -Dkiln.launch.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.launch.skip, default false): Skips kiln:launch. Form: true or false
   *       (any case).
   *   <li>&lt;allowWorld&gt; (-Dkiln.launch.allowWorld, default false): AWS: also opens the
   *       candidate's SSH port to 0.0.0.0/0 and ::/0. Form: true or false (any case).
   *   <li>&lt;timeout&gt; (-Dkiln.launch.timeout, default 300s): How long to wait for the
   *       candidate's SSH banner. Form: a duration from 1s to 1h: a number of seconds, or with a
   *       unit s, m, h, d or w (30s, 10m, 1h).
   *   <li>&lt;instanceType&gt; (-Dkiln.launch.instanceType, default t3.micro): AWS: the candidate's
   *       instance type. Form: an EC2 instance type such as t3.micro.
   *   <li>&lt;subnetId&gt; (-Dkiln.launch.subnetId, default the default VPC's): AWS: the subnet to
   *       launch in. Form: a subnet id such as subnet-0123abcd.
   *   <li>&lt;instanceProfile&gt; (-Dkiln.launch.instanceProfile, default none): AWS: the instance
   *       profile whose role may read IAM SSH keys (see kiln:policy). Form: an instance profile
   *       name or ARN.
   *   <li>&lt;keep&gt; (-Dkiln.launch.keep, default false): Leaves the candidate running after the
   *       build; kiln:terminate removes it. Form: true or false (any case).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> launch;

  /**
   * The &lt;verify&gt; element. Each nested parameter is also the property
   * -Dkiln.verify.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.verify.skip, default false): Skips kiln:verify. Form: true or false
   *       (any case).
   *   <li>&lt;iamUser&gt; (-Dkiln.verify.iamUser, default none): AWS: an existing IAM user of an
   *       authorized group to log in as. Form: an IAM user name.
   *   <li>&lt;keyFile&gt; (-Dkiln.verify.keyFile, default none): AWS: the private key of that
   *       user's Active IAM SSH key. Form: an existing file (relative to the project).
   *   <li>&lt;breakGlassCaKey&gt; (-Dkiln.verify.breakGlassCaKey, default none): The break-glass
   *       CA's private key, which break-glass-login issues certificates with. Form: an existing
   *       file (relative to the project).
   *   <li>&lt;lynisMinIndex&gt; (-Dkiln.verify.lynisMinIndex, default none): Sandbox: the lowest
   *       Lynis hardening index (of its SSH tests) lynis-ssh accepts. Form: a whole number from 0
   *       to 100 (decimal digits).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> verify;

  /**
   * The &lt;terminate&gt; element. Each nested parameter is also the property
   * -Dkiln.terminate.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.terminate.skip, default false): Skips kiln:terminate. Form: true or
   *       false (any case).
   *   <li>&lt;all&gt; (-Dkiln.terminate.all, default false): kiln:terminate lists and removes every
   *       candidate recorded on this machine (under &lt;sandbox&gt;&lt;cacheDir&gt;), of any
   *       project. Form: true or false (any case).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> terminate;

  /**
   * The &lt;prune&gt; element. Each nested parameter is also the property
   * -Dkiln.prune.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.prune.skip, default false): Skips kiln:prune. Form: true or false
   *       (any case).
   *   <li>&lt;keep&gt; (-Dkiln.prune.keep, default 3): How many images to keep per recipe. Form: a
   *       whole number from 0 to 1000 (decimal digits).
   *   <li>&lt;dryRun&gt; (-Dkiln.prune.dryRun, default false): Only lists what would be removed.
   *       Form: true or false (any case).
   *   <li>&lt;keepPublished&gt; (-Dkiln.prune.keepPublished, default 5): Images of the newest this
   *       many versions of each aws:ec2:image parameter are kept (so are those of labelled
   *       versions, launch template versions and sandbox groups). Form: a whole number from 0 to
   *       100 (decimal digits).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> prune;

  /**
   * The &lt;policy&gt; element. Each nested parameter is also the property
   * -Dkiln.policy.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.policy.skip, default false): Skips kiln:policy. Form: true or false
   *       (any case).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> policy;

  /**
   * The &lt;publish&gt; element. Each nested parameter is also the property
   * -Dkiln.publish.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.publish.skip, default false): Skips kiln:publish. Form: true or
   *       false (any case).
   *   <li>&lt;parameter&gt; (-Dkiln.publish.parameter, default
   *       /kiln/&lt;groupId&gt;/&lt;artifactId&gt;/&#123;recipe&#125;): The SSM parameter
   *       (aws:ec2:image) that gets a version per published image. Form: an SSM parameter name such
   *       as /kiln/team/app/&#123;recipe&#125;: letters, digits, _ . - and /, at most 15 levels,
   *       not starting with aws or ssm (&#123;recipe&#125; is the recipe id).
   *   <li>&lt;label&gt; (-Dkiln.publish.label, default latest): The label kiln:publish moves to
   *       each new version. Form: a label of 1 to 100 letters, digits, . _ -, not starting with a
   *       digit, aws or ssm.
   *   <li>&lt;launchTemplate&gt; (-Dkiln.publish.launchTemplate, default none): A launch template
   *       that gets a version with the explicit image id (sandbox: created). Form: a launch
   *       template id (lt- and 17 hex digits) or name (3 to 128 of letters, digits, ( ) . - / _).
   *   <li>&lt;setDefault&gt; (-Dkiln.publish.setDefault, default false): Makes that launch template
   *       version the default. Form: true or false (any case).
   *   <li>&lt;timeout&gt; (-Dkiln.publish.timeout, default 120s): How long to wait until a new
   *       parameter version is readable. Form: a duration from 1s to 1h: a number of seconds, or
   *       with a unit s, m, h, d or w (30s, 10m, 1h).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> publish;

  /**
   * The &lt;rollout&gt; element. Each nested parameter is also the property
   * -Dkiln.rollout.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.rollout.skip, default false): Skips kiln:rollout. Form: true or
   *       false (any case).
   *   <li>&lt;group&gt; (-Dkiln.rollout.group, default none): The Auto Scaling group (AWS) or
   *       sandbox group that kiln:rollout and kiln:rollback replace. Form: a group name: a letter
   *       or digit, then up to 127 letters, digits, . _ -.
   *   <li>&lt;size&gt; (-Dkiln.rollout.size, default 2): Sandbox: the group's number of instances.
   *       Form: a whole number from 1 to 20 (decimal digits).
   *   <li>&lt;minHealthyPercentage&gt; (-Dkiln.rollout.minHealthyPercentage, default 90): Instances
   *       kept healthy during a rollout, in percent. Form: a whole number from 0 to 100 (decimal
   *       digits).
   *   <li>&lt;maxHealthyPercentage&gt; (-Dkiln.rollout.maxHealthyPercentage, default 100): Capacity
   *       a rollout may use, in percent of the group's size, at most minHealthyPercentage + 100: a
   *       batch replaces up to max − min percent of the group, at least one instance. Form: a whole
   *       number from 100 to 200 (decimal digits).
   *   <li>&lt;autoRollback&gt; (-Dkiln.rollout.autoRollback, default false): AWS: rolls a failed
   *       instance refresh back. Form: true or false (any case).
   *   <li>&lt;alarms&gt; (-Dkiln.rollout.alarms, default none): AWS: CloudWatch alarms that fail
   *       the instance refresh (needs autoRollback). Form: a comma-separated list, each a
   *       CloudWatch alarm name (letters, digits and . _ : / # + = &#64; -).
   *   <li>&lt;timeout&gt; (-Dkiln.rollout.timeout, default 3600s): AWS: how long the instance
   *       refresh may take. Form: a duration from 10s to 1d: a number of seconds, or with a unit s,
   *       m, h, d or w (30s, 10m, 1h).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> rollout;

  /**
   * The &lt;rollback&gt; element. Each nested parameter is also the property
   * -Dkiln.rollback.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;skip&gt; (-Dkiln.rollback.skip, default false): Skips kiln:rollback. Form: true or
   *       false (any case).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> rollback;

  /**
   * The &lt;hardening&gt; element. Each nested parameter is also the property
   * -Dkiln.hardening.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;port&gt; (-Dkiln.hardening.port, default 22): The SSH port. Form: a whole number from
   *       1 to 65535 (decimal digits).
   *   <li>&lt;maxAuthTries&gt; (-Dkiln.hardening.maxAuthTries, default 3): sshd's MaxAuthTries.
   *       Form: a whole number from 1 to 6 (decimal digits).
   *   <li>&lt;loginGraceTime&gt; (-Dkiln.hardening.loginGraceTime, default 30s): sshd's
   *       LoginGraceTime. Form: a duration from 5s to 2m: a number of seconds, or with a unit s, m,
   *       h, d or w (30s, 10m, 1h).
   *   <li>&lt;maxStartups&gt; (-Dkiln.hardening.maxStartups, default 10:30:60): sshd's MaxStartups:
   *       unauthenticated connections before sshd drops new ones. Form: sshd's MaxStartups: a
   *       number from 1 to 9999, or start:rate:full (such as 10:30:60) with start &lt;= full and a
   *       rate from 1 to 100.
   *   <li>&lt;maxSessions&gt; (-Dkiln.hardening.maxSessions, default 10): sshd's MaxSessions. Form:
   *       a whole number from 1 to 10 (decimal digits).
   *   <li>&lt;clientAliveInterval&gt; (-Dkiln.hardening.clientAliveInterval, default 300s): sshd's
   *       ClientAliveInterval. Form: a duration from 1s to 1h: a number of seconds, or with a unit
   *       s, m, h, d or w (30s, 10m, 1h).
   *   <li>&lt;clientAliveCountMax&gt; (-Dkiln.hardening.clientAliveCountMax, default 3): sshd's
   *       ClientAliveCountMax. Form: a whole number from 0 to 10 (decimal digits).
   *   <li>&lt;kexAlgorithms&gt; (-Dkiln.hardening.kexAlgorithms, default the recipe's): sshd's
   *       KexAlgorithms: a subset of what Kiln allows with the recipe's OpenSSH version. Form: a
   *       comma-separated list, each an OpenSSH algorithm name.
   *   <li>&lt;ciphers&gt; (-Dkiln.hardening.ciphers, default the recipe's): sshd's Ciphers: a
   *       subset of what Kiln allows with the recipe's OpenSSH version. Form: a comma-separated
   *       list, each an OpenSSH algorithm name.
   *   <li>&lt;macs&gt; (-Dkiln.hardening.macs, default the recipe's): sshd's Macs: a subset of what
   *       Kiln allows with the recipe's OpenSSH version. Form: a comma-separated list, each an
   *       OpenSSH algorithm name.
   *   <li>&lt;hostKeyAlgorithms&gt; (-Dkiln.hardening.hostKeyAlgorithms, default the recipe's):
   *       sshd's HostKeyAlgorithms: a subset of what Kiln allows with the recipe's OpenSSH version.
   *       Form: a comma-separated list, each an OpenSSH algorithm name.
   *   <li>&lt;allowTcpForwarding&gt; (-Dkiln.hardening.allowTcpForwarding, default false):
   *       Re-allows TCP forwarding (bastions). Form: true or false (any case).
   *   <li>&lt;banner&gt; (-Dkiln.hardening.banner, default none; /etc/issue.net with bannerText):
   *       The file sshd sends before authentication. Form: one of /etc/issue.net, /etc/issue, none.
   *   <li>&lt;bannerText&gt; (-Dkiln.hardening.bannerText, default none): Text Kiln renders to
   *       /etc/issue.net and sshd sends before authentication. Form: printable text of at most 2000
   *       characters (line breaks allowed).
   *   <li>&lt;allowGroups&gt; (-Dkiln.hardening.allowGroups, default none): Local groups allowed to
   *       log in besides the IAM marker group. Form: a comma-separated list, each a Linux group
   *       name ([a-z_][a-z0-9_-]*, at most 32 characters).
   *   <li>&lt;minModuliBits&gt; (-Dkiln.hardening.minModuliBits, default 3071): Smallest
   *       Diffie-Hellman group kept in /etc/ssh/moduli. Form: a whole number from 2047 to 8191
   *       (decimal digits).
   *   <li>&lt;trustedCidrs&gt; (-Dkiln.hardening.trustedCidrs, default none): Management networks:
   *       fail2ban never bans them; launch opens SSH only to them. Form: a comma-separated list,
   *       each an IPv4 network /8 or narrower or an IPv6 network /32 or narrower, with no host bits
   *       set (such as 203.0.113.0/24 or 2001:db8::/32).
   *   <li>&lt;fail2banMaxRetry&gt; (-Dkiln.hardening.fail2banMaxRetry, default 3): fail2ban's
   *       maxretry. Form: a whole number from 1 to 20 (decimal digits).
   *   <li>&lt;fail2banFindTime&gt; (-Dkiln.hardening.fail2banFindTime, default 10m): fail2ban's
   *       findtime. Form: a duration from 1m to 1d: a number of seconds, or with a unit s, m, h, d
   *       or w (30s, 10m, 1h).
   *   <li>&lt;fail2banBanTime&gt; (-Dkiln.hardening.fail2banBanTime, default 1h): fail2ban's
   *       bantime, doubled for each repeated offence. Form: a duration from 1m to 4w: a number of
   *       seconds, or with a unit s, m, h, d or w (30s, 10m, 1h).
   *   <li>&lt;fail2banRecidiveBanTime&gt; (-Dkiln.hardening.fail2banRecidiveBanTime, default 1w):
   *       The bantime of fail2ban's recidive jail. Form: a duration from 1h to 365d: a number of
   *       seconds, or with a unit s, m, h, d or w (30s, 10m, 1h).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> hardening;

  /**
   * The &lt;access&gt; element. Each nested parameter is also the property
   * -Dkiln.access.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;iamGroups&gt; (-Dkiln.access.iamGroups, default ssh-admins): IAM groups whose members
   *       become local users; * for every IAM user of the account. Form: * or a comma-separated
   *       list, each an IAM group name.
   *   <li>&lt;sudoGroups&gt; (-Dkiln.access.sudoGroups, default none): IAM groups whose members get
   *       sudo. Form: a comma-separated list, each an IAM group name.
   *   <li>&lt;localGroups&gt; (-Dkiln.access.localGroups, default none): Extra local groups every
   *       managed user joins. Form: a comma-separated list, each a Linux group name
   *       ([a-z_][a-z0-9_-]*, at most 32 characters) that is not a privileged or system group such
   *       as root, sudo, wheel, adm, shadow, disk, docker or lxd.
   *   <li>&lt;markerGroup&gt; (-Dkiln.access.markerGroup, default kiln-iam): The local group that
   *       marks the users the sync manages. Form: a Linux group name ([a-z_][a-z0-9_-]*, at most 32
   *       characters) that is not a privileged or system group such as root, sudo, wheel, adm,
   *       shadow, disk, docker or lxd.
   *   <li>&lt;iamEndpoint&gt; (-Dkiln.access.iamEndpoint, default https://iam.amazonaws.com): The
   *       IAM endpoint. Form: an http:// or https:// URL with a host and no user, query or
   *       fragment.
   *   <li>&lt;stsEndpoint&gt; (-Dkiln.access.stsEndpoint, default https://sts.amazonaws.com): The
   *       STS endpoint (for assumeRole). Form: an http:// or https:// URL with a host and no user,
   *       query or fragment.
   *   <li>&lt;metadataEndpoint&gt; (-Dkiln.access.metadataEndpoint, default
   *       http://169.254.169.254): The instance metadata endpoint. Form: an http:// or https:// URL
   *       with a host and no user, query or fragment.
   *   <li>&lt;region&gt; (-Dkiln.access.region, default us-east-1): The region IAM requests are
   *       signed for. Form: an AWS region such as eu-west-1.
   *   <li>&lt;keyCacheTtl&gt; (-Dkiln.access.keyCacheTtl, default 60s): How long fetched keys are
   *       cached; revocation takes effect within it. Form: a duration from 0s to 1h: a number of
   *       seconds, or with a unit s, m, h, d or w (30s, 10m, 1h).
   *   <li>&lt;negativeCacheTtl&gt; (-Dkiln.access.negativeCacheTtl, default 5m): How long an
   *       unknown user is remembered as unknown. Form: a duration from 0s to 1d: a number of
   *       seconds, or with a unit s, m, h, d or w (30s, 10m, 1h).
   *   <li>&lt;deadline&gt; (-Dkiln.access.deadline, default 3s): The hard deadline of one key
   *       lookup. Form: a duration from 1s to 20s: a number of seconds, or with a unit s, m, h, d
   *       or w (30s, 10m, 1h).
   *   <li>&lt;staleIfError&gt; (-Dkiln.access.staleIfError, default 0s): How long a cached key may
   *       serve while IAM fails; 0s is off. Form: a duration from 0s to 1d: a number of seconds, or
   *       with a unit s, m, h, d or w (30s, 10m, 1h).
   *   <li>&lt;syncInterval&gt; (-Dkiln.access.syncInterval, default 10m): The interval of the user
   *       sync (jitter added). Form: a duration from 1m to 1d: a number of seconds, or with a unit
   *       s, m, h, d or w (30s, 10m, 1h).
   *   <li>&lt;assumeRole&gt; (-Dkiln.access.assumeRole, default none): A role to assume for the IAM
   *       reads (another account's users). Form: an IAM role ARN such as
   *       arn:aws:iam::123456789012:role/ssh-keys.
   *   <li>&lt;uidRange&gt; (-Dkiln.access.uidRange, default 200000-299999): The UIDs of managed
   *       users, MIN-MAX. Form: MIN-MAX with 1000 &lt;= MIN, MAX &lt;= 2000000000 and at least 1000
   *       UIDs (e.g. 200000-299999).
   *   <li>&lt;deleteAfterRuns&gt; (-Dkiln.access.deleteAfterRuns, default 3): Consecutive syncs a
   *       user must be absent from IAM before deletion. Form: a whole number from 1 to 100 (decimal
   *       digits).
   *   <li>&lt;keepHome&gt; (-Dkiln.access.keepHome, default true): Keeps the home directory of a
   *       deleted user. Form: true or false (any case).
   *   <li>&lt;groupsFromTags&gt; (-Dkiln.access.groupsFromTags, default false): Also reads the
   *       group lists from the instance's EC2 tags. Form: true or false (any case).
   *   <li>&lt;breakGlass.caPublicKey&gt; (-Dkiln.access.breakGlass.caPublicKey, default none): The
   *       CA whose user certificates open the break-glass account (its public key file). Form: an
   *       existing file with one OpenSSH public key line, as ssh-keygen writes ca.pub (no options,
   *       no certificate, no DSA, RSA of at least 3072 bits).
   *   <li>&lt;breakGlass.user&gt; (-Dkiln.access.breakGlass.user, default kiln-breakglass): The
   *       break-glass account, also the certificate principal it accepts. Form: a Linux user name
   *       ([a-z_][a-z0-9_-]*, at most 32 characters) of its own: not root, a system account, a
   *       cloud login user, ssm-user or one of Kiln's.
   *   <li>&lt;breakGlass.sudo&gt; (-Dkiln.access.breakGlass.sudo, default true): Whether the
   *       break-glass account has sudo. Form: true or false (any case).
   *   <li>&lt;instanceConnect&gt; (-Dkiln.access.instanceConnect, default off): chain: after the
   *       IAM keys, the recipe's EC2 Instance Connect helper's keys. Form: one of off, chain.
   *   <li>&lt;sessionManager&gt; (-Dkiln.access.sessionManager, default false): Keeps or installs
   *       the SSM agent and enables it (Session Manager). Form: true or false (any case).
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> access;

  /**
   * The &lt;aws&gt; element. Each nested parameter is also the property -Dkiln.aws.&lt;name&gt;,
   * which wins over the POM:
   *
   * <ul>
   *   <li>&lt;profile&gt; (-Dkiln.aws.profile, default the AWS SDK's default chain): The named
   *       profile of the shared AWS configuration. Form: an AWS profile name
   *       ([A-Za-z0-9_.+=,&#64;-]).
   *   <li>&lt;region&gt; (-Dkiln.aws.region, default the AWS SDK's default chain): The AWS region.
   *       Form: an AWS region such as eu-west-1.
   *   <li>&lt;endpoint&gt; (-Dkiln.aws.endpoint, default AWS's): An EC2-compatible endpoint URL.
   *       Form: an http:// or https:// URL with a host and no user, query or fragment.
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> aws;

  /**
   * The &lt;sandbox&gt; element. Each nested parameter is also the property
   * -Dkiln.sandbox.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;cacheDir&gt; (-Dkiln.sandbox.cacheDir, default $XDG_CACHE_HOME/kiln or
   *       ~/.cache/kiln): The sandbox's cache: base root filesystems and image layers. Form: a
   *       directory path (relative to the project) that is not the filesystem root, a system
   *       directory or the home directory itself.
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> sandbox;

  /**
   * The &lt;packer&gt; element. Each nested parameter is also the property
   * -Dkiln.packer.&lt;name&gt;, which wins over the POM:
   *
   * <ul>
   *   <li>&lt;executable&gt; (-Dkiln.packer.executable, default packer on the PATH): The packer
   *       command or executable. Form: a command name ([A-Za-z0-9._+-]) on the PATH or the path of
   *       an executable file.
   *   <li>&lt;timeout&gt; (-Dkiln.packer.timeout, default 60m): How long one Packer build may take.
   *       Form: a duration from 1m to 1d: a number of minutes, or with a unit s, m, h, d or w (30s,
   *       10m, 1h).
   *   <li>&lt;instanceType&gt; (-Dkiln.packer.instanceType, default t3.micro): The instance type of
   *       the builder. Form: an EC2 instance type such as t3.micro.
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> packer;

  /**
   * The &lt;ami&gt; element. Each nested parameter is also the property -Dkiln.ami.&lt;name&gt;,
   * which wins over the POM:
   *
   * <ul>
   *   <li>&lt;id&gt; (-Dkiln.ami.id, default what kiln:bake set, else target/kiln/bake.json): The
   *       image kiln:launch boots. Form: an AMI id such as ami-0123456789abcdef0.
   * </ul>
   *
   * @since 0.1.0
   */
  @Parameter Map<String, Object> ami;
  // PARAMETER-FIELDS-END
}
