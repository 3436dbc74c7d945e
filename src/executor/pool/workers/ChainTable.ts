import { MSG_CHAIN, type ChainMessage, type ChainStep } from "../wire/WireMessage.js";

/**
 * The chains a pool's workers run: one per open executor (a stage, or colocated stages, of the
 * pool's module), declared to every worker, to new ones as they start, and forgotten when the
 * executor closes, so a pool that outlives many runs (shared, or kept warm) does not collect one
 * chain per run.
 */
export class ChainTable {
  readonly #chains: ChainMessage[] = [];
  #nextId = 0;

  /** Chains declared and not yet forgotten. */
  get size(): number {
    return this.#chains.length;
  }

  /** The declarations to send a worker that starts now, oldest first. */
  all(): readonly ChainMessage[] {
    return this.#chains;
  }

  /**
   * Declares a chain of stages: its timeout (enforced in the worker) and the pool's
   * `concurrencyPerWorker`; returns the message that declares it to workers.
   */
  add(stage: string, steps: readonly ChainStep[], timeoutMs: number | undefined, perWorker: number): ChainMessage {
    const chain: ChainMessage = { t: MSG_CHAIN, id: this.#nextId++, stage, steps, to: timeoutMs, p: perWorker };
    this.#chains.push(chain);
    return chain;
  }

  /** Forgets chain `id`; false when it was not declared. */
  remove(id: number): boolean {
    const i = this.#chains.findIndex((c) => c.id === id);
    if (i < 0) return false;
    this.#chains.splice(i, 1);
    return true;
  }
}
