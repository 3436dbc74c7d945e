import type { ChainStep } from "../wire/WireMessage.js";

/** Chains whose cost a pool remembers, at most (the least recently measured forgotten first). */
const MAX_CHAINS = 64;

/**
 * What an item of each chain costs in a pool's workers (ms per item: the last executor's moving
 * average of what its workers reported), kept while the pool lives. An executor for a chain the
 * pool ran before (on a pool kept warm by `keepWarmMs` or held by another stage: the next run of a
 * pipeline built per request) starts its batch size from it, instead of from a guess of 16 items
 * that takes a few round trips to grow. Chains are named by their steps (kinds and exports), not
 * by their stage names or ids: each run's chain is new.
 */
export class ItemCosts {
  readonly #ms = new Map<string, number>();

  /** The name under which `steps`' cost is kept. */
  static keyOf(steps: readonly ChainStep[]): string {
    return JSON.stringify(steps.map((s) => [s.kind, s.exportName]));
  }

  /** The last cost measured for chain `key`, if the pool ran it. */
  get(key: string): number | undefined {
    return this.#ms.get(key);
  }

  /** Keeps `ms` (NaN, a negative or infinite figure is ignored) as chain `key`'s cost. */
  set(key: string, ms: number): void {
    if (!(ms >= 0 && ms < Number.POSITIVE_INFINITY)) return;
    const costs = this.#ms;
    // a chain measured again goes to the end (the most recently measured); a new one past the
    // bound pushes out the first (the least recently measured)
    if (costs.has(key)) costs.delete(key);
    else if (costs.size >= MAX_CHAINS) costs.delete(costs.keys().next().value!);
    costs.set(key, ms);
  }

  /** Chains remembered. */
  get size(): number {
    return this.#ms.size;
  }
}
