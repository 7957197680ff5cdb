package io.cohort;

import java.nio.file.Path;
import java.util.List;

/**
 * What a group's members need to find each other, made once every member runs (and every service
 * member is ready). The session also writes it where every worker sees it, atomically: the
 * group's folder holds {@code cluster.json} (this, as JSON), {@code hosts} (one address per line
 * with its slots, for MPI) and {@code tf_config/<worker>.json} (each worker's TF_CONFIG).
 *
 * @param group      the group's name
 * @param size       how many members it has (WORLD_SIZE)
 * @param masterAddr MASTER_ADDR: rank 0's address, or the session's when the group asked for it
 * @param masterPort MASTER_PORT: a port chosen for the group; member k may also use {@code masterPort + k}
 * @param members    every member, by rank
 * @param directory  the group's folder, holding the files
 */
public record Rendezvous(String group, int size, String masterAddr, int masterPort, List<Member> members, Path directory) {
    public Rendezvous {
        members = List.copyOf(members);
    }

    /**
     * One member.
     *
     * @param rank      its rank (RANK), from 0
     * @param role      its role
     * @param roleIndex its index within its role (TF_CONFIG's task index)
     * @param localRank its index among the members on the same address (LOCAL_RANK)
     * @param worker    its worker id
     * @param address   its address
     * @param port      the port set aside for it: {@code masterPort + rank}
     */
    public record Member(int rank, String role, int roleIndex, int localRank, String worker, String address, int port) {
    }
}
