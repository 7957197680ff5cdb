package io.cohort;

import java.util.List;

/**
 * Workers bound to a queue that grow with its ready items and shrink when it idles, like Dask's
 * adaptive clusters (docs/groups.md): it launches workers while items wait (up to its max, and as
 * far as the machine admits), and retires idle ones after a grace (down to its min). A worker is
 * retired only while it holds no lease: its next take answers "done", so its loop over the queue
 * ends by itself; a pool never stops a worker holding an item.
 */
public interface ElasticPool extends AutoCloseable {
    /** The queue it serves. */
    String queue();

    /** Every worker it launched, running and ended, in launch order. */
    List<Worker> workers();

    /** How many of its workers are not ended. */
    int live();

    /** The most of its workers that were live at once. */
    int peak();

    /** Stops growing, and retires every worker as soon as it holds no lease; they end by themselves. */
    @Override
    void close();
}
