package uk.e42.tandem.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that needs more than a JVM: root, network namespaces, loop devices, FUSE, a TUN
 * device or Debian tools. Missing requirements skip the test with a loud reason on a newcomer's
 * laptop, and fail it when {@code -Dtandem.e2e.required=true} (CI).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(E2eRequirements.class)
public @interface E2e {
    /** Executables looked up on PATH, /sbin, /usr/sbin and /lib/drbd (drbdadm-84). */
    String[] tools() default {};

    boolean root() default false;

    /** May create network namespaces and veth pairs (ip netns). */
    boolean netns() default false;

    /** May attach loop devices (losetup). */
    boolean loop() default false;

    /** /dev/fuse exists (nbdfuse). */
    boolean fuse() default false;

    /** /dev/net/tun exists (OpenVPN). */
    boolean tun() default false;
}
