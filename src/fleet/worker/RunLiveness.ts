import type { Redis } from "ioredis";
import type { FleetKeys } from "../protocol/FleetKeys.js";

/**
 * Which runs are still alive: a run is while its liveness key exists (its origin refreshes it
 * every third of `runTtlMs`). A run confirmed alive is not checked again for `freshMs`, so the hot
 * path pays one pipelined `EXISTS` per run and period, not per entry.
 */
export class RunLiveness {
  readonly #client: Redis;
  readonly #keys: FleetKeys;
  readonly #freshMs: number;
  readonly #confirmed = new Map<string, number>();

  constructor(client: Redis, keys: FleetKeys, freshMs: number) {
    this.#client = client;
    this.#keys = keys;
    this.#freshMs = freshMs;
  }

  /**
   * The runs among `runs` whose key is gone. Runs confirmed within `freshMs` count as alive
   * unless `recheck`; when Redis cannot answer, every run counts as alive.
   */
  async dead(runs: Iterable<string>, recheck = false): Promise<Set<string>> {
    const now = Date.now();
    const ask = [...new Set(runs)].filter(
      (run) => recheck || now - (this.#confirmed.get(run) ?? -Infinity) > this.#freshMs,
    );
    const dead = new Set<string>();
    if (ask.length === 0) return dead;
    let answers: Array<[Error | null, unknown]> | null;
    try {
      const pipeline = this.#client.pipeline();
      for (const run of ask) pipeline.exists(this.#keys.run(run));
      answers = await pipeline.exec();
    } catch {
      return dead;
    }
    ask.forEach((run, i) => {
      const [error, exists] = answers?.[i] ?? [null, 1];
      if (error === null && exists === 0) {
        dead.add(run);
        this.#confirmed.delete(run);
      } else this.#confirmed.set(run, now);
    });
    if (this.#confirmed.size > 4096)
      for (const [run, at] of this.#confirmed) if (now - at > this.#freshMs) this.#confirmed.delete(run);
    return dead;
  }
}
