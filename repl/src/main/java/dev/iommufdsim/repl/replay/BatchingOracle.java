package dev.iommufdsim.repl.replay;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Several shrinks on one oracle: each shrink runs in its own thread and asks for its batch;
 * once every running shrink waits, all their batches go to the oracle as one (one boot for
 * the round of all of them), and each gets its part back.
 */
final class BatchingOracle implements Shrinker.Oracle {
    private final Shrinker.Oracle inner;
    private final List<Request> pending = new ArrayList<>();
    private int active;

    private record Request(List<String> texts, CompletableFuture<List<String>> result) {
    }

    BatchingOracle(Shrinker.Oracle inner) {
        this.inner = inner;
    }

    /** A shrink starts (before its thread asks anything). */
    synchronized void join() {
        active++;
    }

    /** A shrink is done: the others no longer wait for it. */
    synchronized void leave() {
        active--;
        flushIfAllWait();
    }

    @Override
    public List<String> record(List<String> texts) throws IOException {
        Request r = new Request(List.copyOf(texts), new CompletableFuture<>());
        synchronized (this) {
            pending.add(r);
            flushIfAllWait();
        }
        try {
            return r.result().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** With the lock held: when every running shrink waits, record their batches together. */
    private void flushIfAllWait() {
        if (pending.isEmpty() || pending.size() < active) {
            return;
        }
        List<Request> batch = new ArrayList<>(pending);
        pending.clear();
        List<String> all = new ArrayList<>();
        for (Request r : batch) {
            all.addAll(r.texts());
        }
        try {
            List<String> outs = inner.record(all);
            if (outs.size() != all.size()) {
                throw new IOException("the oracle answered " + outs.size() + " of " + all.size() + " lists");
            }
            int at = 0;
            for (Request r : batch) {
                r.result().complete(List.copyOf(outs.subList(at, at + r.texts().size())));
                at += r.texts().size();
            }
        } catch (IOException | RuntimeException e) {
            for (Request r : batch) {
                r.result().completeExceptionally(e);
            }
        }
    }
}
