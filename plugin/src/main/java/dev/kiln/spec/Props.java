package dev.kiln.spec;

/**
 * The project properties Kiln sets for later goals and plugins (the parameters themselves, and
 * their {@code -D} names, are in {@link ParameterTable}).
 */
public final class Props {
  private Props() {}

  public static final String OUT_AMI_ID = "kiln.ami.id";
  public static final String OUT_INSTANCE_ID = "kiln.instance.id";
  public static final String OUT_INSTANCE_HOST = "kiln.instance.host";
  public static final String OUT_INSTANCE_PORT = "kiln.instance.port";
}
