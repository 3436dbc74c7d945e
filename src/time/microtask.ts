const resolved = Promise.resolve();

/**
 * Runs `callback` in a microtask, like `queueMicrotask`, for the hot paths that schedule one per
 * burst of work: a reaction on a settled promise costs about half of Node's `queueMicrotask`,
 * which wraps every callback in an async resource. A callback that throws surfaces as an
 * unhandled rejection, which ends the process just as an uncaught exception would.
 */
export function microtask(callback: () => void): void {
  void resolved.then(callback);
}
