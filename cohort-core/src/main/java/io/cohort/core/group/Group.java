package io.cohort.core.group;

import io.cohort.GroupRole;
import io.cohort.Rendezvous;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One group's fixed facts and its rendezvous, which completes once every member runs (and every
 * service member is ready), or fails when a member ends first.
 *
 * @param name       its name
 * @param roles      its roles, in rank order
 * @param members    its members' worker ids, by rank
 * @param memberRole each member's role, by rank
 * @param roleIndex  each member's index within its role, by rank
 * @param masterPort the port set aside for rank 0 (MASTER_PORT); member k's is {@code masterPort + k}
 * @param directory  where its rendezvous files are written
 * @param ready      the rendezvous, once made
 */
public record Group(String name, List<GroupRole> roles, List<String> members, List<String> memberRole,
                    List<Integer> roleIndex, int masterPort, Path directory, CompletableFuture<Rendezvous> ready) {
    public Group {
        roles = List.copyOf(roles);
        members = List.copyOf(members);
        memberRole = List.copyOf(memberRole);
        roleIndex = List.copyOf(roleIndex);
    }

    public int size() {
        return members.size();
    }

    public int rankOf(String workerId) {
        return members.indexOf(workerId);
    }
}
