/** Callbacks to run when the process exits, behind one `exit` listener for all stores. */
const callbacks = new Set<() => void>();

function runAll(): void {
  for (const callback of callbacks) {
    try {
      callback();
    } catch {
      // the process is exiting: a failed last commit has nowhere to go
    }
  }
}

/**
 * Runs `callback` (synchronously) when the process exits normally, unless the returned function was
 * called first. One `process.on("exit")` listener serves every store, however many are open.
 */
export function closeAtExit(callback: () => void): () => void {
  if (callbacks.size === 0) process.on("exit", runAll);
  callbacks.add(callback);
  return () => {
    callbacks.delete(callback);
    if (callbacks.size === 0) process.off("exit", runAll);
  };
}
