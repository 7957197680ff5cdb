package io.cohort.core.store;

/** Lets tests drop a store's connection as a crash would. */
public final class StoreCrash {
    private StoreCrash() {
    }

    public static void abandon(Store store) {
        store.abandon();
    }
}
