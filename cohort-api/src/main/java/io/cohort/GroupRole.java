package io.cohort;

import java.util.Objects;

/**
 * One role of a worker group: its name ("scheduler", "worker", "chief", ...) and the launch of its
 * members. Roles are ranked in the order given: the first role's first worker is rank 0.
 */
public record GroupRole(String role, LaunchRequest launch) {
    public GroupRole {
        if (role == null || !role.matches("[A-Za-z][A-Za-z0-9_-]{0,39}")) {
            throw new IllegalArgumentException("a role name is a letter then letters, digits, '_' or '-' (at most 40),"
                    + " such as worker or chief, got '" + role + "'");
        }
        Objects.requireNonNull(launch, "launch: what the role's workers run");
    }

    public static GroupRole of(String role, LaunchRequest launch) {
        return new GroupRole(role, launch);
    }
}
