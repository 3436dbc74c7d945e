/**
 * What the function of {@link Stream.dispatch} receives: `emit` sends a value to one named
 * branch. An item may be emitted to several branches, several times to one, or to none (it is
 * then dropped). The emissions of an item go out together once the function returned; if it
 * throws, none does (the route's `onError` applies to the item).
 *
 * @example
 * ```ts
 * orders.dispatch((o, ctx) => {
 *   ctx.emit("audit", o);
 *   if (o.total > 1000) ctx.emit("review", { id: o.id, total: o.total });
 * }, ["audit", "review"]);
 * ```
 */
export interface DispatchContext<B extends object> {
  /** Sends `item` to the branch `branch` (one of the names given to `dispatch()`; another throws). */
  emit<K extends keyof B & string>(branch: K, item: B[K]): void;
  /** Source index of the item (see `StageContext.index`). */
  readonly index: number;
}

/** A built-in way for `route()` to pick a branch per item. */
export type RouteStrategy = "round-robin" | "least-loaded";
