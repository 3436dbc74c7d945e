/** What a thenable's `then` is called with. */
type Then = (onValue: (value: unknown) => void, onError: (error: unknown) => void) => unknown;

/**
 * The `then` method of `value` when it is a thenable (an object or function with a callable
 * `then`), else undefined. Reading `then` runs a getter if it has one, which may throw: the
 * caller treats that as the item's failure, as `await` would.
 */
export function thenOf(value: unknown): Then | undefined {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
  const then = (value as { then?: unknown }).then;
  return typeof then === "function" ? (then as Then) : undefined;
}

/**
 * Calls `onValue` or `onError` once `thenable` settles, exactly once. A `Promise` is followed
 * directly; any other thenable through a promise of its own, as `await` would follow it: one that
 * calls back twice, or both ways, or throws from `then`, still settles the item once (a stage
 * runner that heard an item twice would hand its slot to two items).
 */
export function followThenable(
  thenable: object,
  then: Then,
  onValue: (value: unknown) => void,
  onError: (error: unknown) => void,
): void {
  if (thenable instanceof Promise) {
    thenable.then(onValue, onError);
    return;
  }
  new Promise<unknown>((resolve, reject) => {
    then.call(thenable, resolve, reject);
  }).then(onValue, onError);
}
