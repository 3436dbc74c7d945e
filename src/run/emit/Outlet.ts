import type { Channel } from "../../channel/Channel.js";
import type { DispatchContext } from "../../pipeline/DispatchContext.js";
import type { ErrorPolicy } from "../../stage/StageKind.js";
import type { BlockedTime } from "../../stats/BlockedTime.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import { itemFailed } from "../stage/itemFailed.js";
import type { QueueKeyGuard } from "../queue/QueueKeyGuard.js";
import type { RunScope } from "../RunScope.js";

/** The guard of each channel whose stage orders its queue by a function of the item (`priority`, `fairBy`). */
export type ChannelGuards = ReadonlyMap<Channel<unknown>, QueueKeyGuard<unknown>>;

/**
 * Routing at the end of a step: each item goes to the channels of the branch its key names, or
 * (a dispatch route) to the branches its function emits to.
 */
export interface OutletRoute {
  /** Picks the branch of an item (routes by key or by a built-in strategy). */
  readonly key: ((item: unknown) => unknown) | undefined;
  /** Emits an item, or values derived from it, to any branches (dispatch routes). */
  readonly emit: ((item: unknown, ctx: DispatchContext<Record<string, unknown>>) => unknown) | undefined;
  /** The input channels of each branch's stages, by key. */
  readonly branches: ReadonlyMap<string, readonly Channel<unknown>[]>;
  /** The route's counters. */
  readonly counters: StageCounters;
  /** What happens to an item whose key throws or names no branch. */
  readonly onError: ErrorPolicy;
}

/**
 * Where a step's output goes: every downstream channel (broadcast), or one branch per item (a
 * route). With no channel at all the output is discarded (a sink ended the step, or nothing reads
 * it). Pushing waits only when a channel is full: the promise is made at that boundary only.
 *
 * A channel with a guard (its stage has `priority` or `fairBy`) has each item's key computed and
 * checked right before the item goes in: an item whose key fails is handled by that stage's
 * `onError` and does not enter (other branches still get it).
 */
export class Outlet {
  readonly #channels: readonly Channel<unknown>[];
  readonly #guardOf: readonly (QueueKeyGuard<unknown> | undefined)[];
  readonly #guards: ChannelGuards;
  readonly #route: OutletRoute | undefined;
  readonly #scope: RunScope;
  /** The emissions of the item a dispatch route's function is called with: their branches. */
  readonly #emitBranches: string[] = [];
  /** … and their values. */
  readonly #emitValues: unknown[] = [];
  /** The context handed to a dispatch route's function (one per outlet; `index` set per item). */
  readonly #dispatch: { emit(branch: string, item: unknown): void; index: number } | undefined;
  /** Items that left through this outlet. */
  delivered = 0;
  /** Items handed to {@link Outlet.push} that wait for room in a full channel (per channel waiting). */
  pending = 0;
  /** Where the time spent waiting for room below is counted (the step's back-pressured time). */
  readonly blocked: BlockedTime | undefined;

  constructor(
    channels: readonly Channel<unknown>[],
    route: OutletRoute | undefined,
    scope: RunScope,
    guards: ChannelGuards = new Map(),
    blocked?: BlockedTime,
  ) {
    this.blocked = blocked;
    this.#channels = channels;
    this.#guards = guards;
    this.#guardOf = channels.map((c) => guards.get(c));
    this.#route = route;
    this.#scope = scope;
    if (route?.emit !== undefined) {
      const branches = route.branches;
      const emitBranches = this.#emitBranches;
      const emitValues = this.#emitValues;
      this.#dispatch = {
        index: 0,
        emit(branch: string, item: unknown): void {
          if (!branches.has(branch)) {
            throw new RangeError(
              `emit() to ${JSON.stringify(branch)}: not one of ${[...branches.keys()].map((k) => JSON.stringify(k)).join(", ")}`,
            );
          }
          emitBranches.push(branch);
          emitValues.push(item);
        },
      };
    }
  }

  /**
   * The one channel below, when items go nowhere else and go in as they come (no route, no
   * guard, the channel blocks when full): a source may push straight into it
   * ({@link Outlet.pushed}), with no chunk array between them. Undefined otherwise.
   */
  get sole(): Channel<unknown> | undefined {
    const channels = this.#channels;
    if (channels.length !== 1 || this.#route !== undefined || this.#guardOf[0] !== undefined) return undefined;
    const c = channels[0]!;
    return c.overflow === "block" ? c : undefined;
  }

  /** `n` items went into {@link Outlet.sole} by a source's own hand. */
  pushed(n: number): void {
    this.delivered += n;
  }

  /** True when nothing reads this outlet. */
  get discards(): boolean {
    return this.#channels.length === 0 && this.#route === undefined;
  }

  /** Room left before any channel below would be full (Infinity when nothing reads the outlet). */
  free(): number {
    let free = Infinity;
    for (const c of this.#channels) {
      if (c.overflow !== "block") continue;
      const f = c.capacity - c.size;
      if (f < free) free = f;
    }
    return free;
  }

  /** Resolves when every channel below has room for at least one item. */
  space(): Promise<void> | undefined {
    for (const c of this.#channels) if (!c.hasSpace) return this.#allSpace();
    return undefined;
  }

  /**
   * {@link Outlet.space} for a caller with a promise of its own to settle: false when every
   * channel below has room; else true, and `wake` is called once when {@link Outlet.space} would
   * have resolved (or, rarely, earlier: the caller asks again once woken).
   */
  whenSpace(wake: () => void): boolean {
    const channels = this.#channels;
    if (channels.length === 1) {
      // one channel below (the common case): its own waker list, no promise in between
      const c = channels[0]!;
      if (c.hasSpace) return false;
      const blocked = this.blocked;
      if (blocked === undefined) c.onSpace(wake);
      else {
        blocked.begin();
        c.onSpace(() => {
          blocked.end();
          wake();
        });
      }
      return true;
    }
    const space = this.space();
    if (space === undefined) return false;
    void space.then(wake, wake);
    return true;
  }

  async #allSpace(): Promise<void> {
    this.blocked?.begin();
    try {
      for (const c of this.#channels) {
        while (!c.hasSpace && !this.#scope.signal.aborted) await c.space();
      }
    } finally {
      this.blocked?.end();
    }
  }

  /**
   * Delivers `values[0..n)`. Returns undefined when everything went in at once, or a promise that
   * resolves when the last item went in (waiting on full channels; given up on abort).
   */
  push(values: readonly unknown[], indexes: ArrayLike<number>, n: number): Promise<void> | undefined {
    if (n === 0) return undefined;
    this.delivered += n;
    if (this.#route !== undefined)
      return this.#dispatch === undefined
        ? this.#pushRouted(values, indexes, n, 0)
        : this.#pushDispatched(values, indexes, n, 0);
    const channels = this.#channels;
    const signal = this.#scope.signal;
    if (channels.length === 1) return pushAll(channels[0]!, values, indexes, 0, n, signal, this.#guardOf[0], this);
    let wait: Promise<void> | undefined;
    for (let k = 0; k < channels.length; k++) {
      const w = pushAll(channels[k]!, values, indexes, 0, n, signal, this.#guardOf[k], this);
      if (w !== undefined) wait = wait === undefined ? w : wait.then(() => w);
    }
    return wait;
  }

  #pushRouted(
    values: readonly unknown[],
    indexes: ArrayLike<number>,
    n: number,
    from: number,
  ): Promise<void> | undefined {
    const route = this.#route!;
    for (let i = from; i < n; i++) {
      const v = values[i];
      const index = indexes[i]!;
      route.counters.in++;
      let targets: readonly Channel<unknown>[] | undefined;
      try {
        const key = route.key!(v);
        targets = route.branches.get(String(key));
        if (targets === undefined) {
          throw new RangeError(
            `route key ${JSON.stringify(key)} is not one of ${[...route.branches.keys()].map((k) => JSON.stringify(k)).join(", ")}`,
          );
        }
      } catch (error) {
        route.counters.failed(error);
        itemFailed(this.#scope, route.counters, route.onError, v, index, error, 1);
        continue;
      }
      route.counters.out++;
      for (const c of targets) if (!c.hasSpace) return this.#routeSlow(values, indexes, n, i, targets);
      for (const c of targets) pushOne(c, v, index, this.#guards.get(c));
    }
    return undefined;
  }

  /** Item `i` found a full channel among its targets: wait for each, then route the rest. */
  async #routeSlow(
    values: readonly unknown[],
    indexes: ArrayLike<number>,
    n: number,
    i: number,
    targets: readonly Channel<unknown>[],
  ): Promise<void> {
    const waiting = n - i;
    this.pending += waiting;
    this.blocked?.begin();
    try {
      for (const c of targets) {
        while (!c.hasSpace) {
          if (this.#scope.signal.aborted) return;
          await c.space();
        }
        pushOne(c, values[i], indexes[i]!, this.#guards.get(c));
      }
    } finally {
      this.blocked?.end();
      // cut short by an abort, they stay pending (counted as abandoned)
      if (!this.#scope.signal.aborted) this.pending -= waiting;
    }
    const rest = this.#pushRouted(values, indexes, n, i + 1);
    if (rest !== undefined) await rest;
  }

  /**
   * A dispatch route: calls its function per item, then pushes what it emitted (nothing when it
   * threw: the route's `onError` applies to the item).
   */
  #pushDispatched(
    values: readonly unknown[],
    indexes: ArrayLike<number>,
    n: number,
    from: number,
  ): Promise<void> | undefined {
    const route = this.#route!;
    const ctx = this.#dispatch!;
    const emitBranches = this.#emitBranches;
    const emitValues = this.#emitValues;
    for (let i = from; i < n; i++) {
      const v = values[i];
      const index = indexes[i]!;
      route.counters.in++;
      emitBranches.length = 0;
      emitValues.length = 0;
      ctx.index = Math.floor(index); // a keyed run's flatMap child: its source index
      try {
        route.emit!(v, ctx as unknown as DispatchContext<Record<string, unknown>>);
      } catch (error) {
        emitBranches.length = 0;
        emitValues.length = 0;
        route.counters.errors++;
        itemFailed(this.#scope, route.counters, route.onError, v, index, error, 1);
        continue;
      }
      route.counters.out += emitBranches.length;
      for (let e = 0; e < emitBranches.length; e++) {
        const targets = route.branches.get(emitBranches[e]!)!;
        for (const c of targets) if (!c.hasSpace) return this.#dispatchSlow(values, indexes, n, i, e);
        for (const c of targets) pushOne(c, emitValues[e], index, this.#guards.get(c));
      }
    }
    return undefined;
  }

  /** Emission `e` of item `i` found a full channel: wait for room for it and the rest of the item's, then go on. */
  async #dispatchSlow(
    values: readonly unknown[],
    indexes: ArrayLike<number>,
    n: number,
    i: number,
    e: number,
  ): Promise<void> {
    const route = this.#route!;
    const index = indexes[i]!;
    const waiting = n - i;
    this.pending += waiting;
    try {
      // the buffers hold item i's emissions until the rest of the chunk is pushed below
      for (let k = e; k < this.#emitBranches.length; k++) {
        for (const c of route.branches.get(this.#emitBranches[k]!)!) {
          while (!c.hasSpace) {
            if (this.#scope.signal.aborted) return;
            await c.space();
          }
          pushOne(c, this.#emitValues[k], index, this.#guards.get(c));
        }
      }
    } finally {
      if (!this.#scope.signal.aborted) this.pending -= waiting;
    }
    const rest = this.#pushDispatched(values, indexes, n, i + 1);
    if (rest !== undefined) await rest;
  }

  /** Tells every channel below that this producer is done. */
  close(): void {
    for (const c of this.#channels) c.close();
    if (this.#route !== undefined) for (const list of this.#route.branches.values()) for (const c of list) c.close();
  }
}

/** Pushes one item into a channel that has room, through its guard if it has one. */
function pushOne(
  channel: Channel<unknown>,
  value: unknown,
  index: number,
  guard: QueueKeyGuard<unknown> | undefined,
): void {
  if (guard === undefined) {
    channel.push(value, index);
    return;
  }
  if (!guard.admit(value, index)) return;
  try {
    channel.push(value, index);
  } finally {
    guard.pushed();
  }
}

/** Pushes `values[from..n)` into one channel, waiting when it is full. */
function pushAll(
  channel: Channel<unknown>,
  values: readonly unknown[],
  indexes: ArrayLike<number>,
  from: number,
  n: number,
  signal: AbortSignal,
  guard: QueueKeyGuard<unknown> | undefined,
  counts: { pending: number; readonly blocked: BlockedTime | undefined },
): Promise<void> | undefined {
  let i = from;
  if (guard === undefined) {
    while (i < n && channel.hasSpace) {
      channel.push(values[i], indexes[i]!);
      i++;
    }
  } else {
    while (i < n && channel.hasSpace) {
      pushOne(channel, values[i], indexes[i]!, guard);
      i++;
    }
  }
  if (i === n) return undefined;
  counts.pending += n - i;
  counts.blocked?.begin();
  return (async () => {
    try {
      while (i < n) {
        // cut short by an abort, the rest stay pending (counted as abandoned)
        if (signal.aborted) return;
        if (!channel.hasSpace) {
          await channel.space();
          continue;
        }
        pushOne(channel, values[i], indexes[i]!, guard);
        i++;
        counts.pending--;
      }
    } finally {
      counts.blocked?.end();
    }
  })();
}
