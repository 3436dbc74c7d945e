import { serializeError, type SerializedError } from "../wire/SerializedError.js";
import type { ChainMessage } from "../wire/WireMessage.js";
import { ChainRunner } from "./ChainRunner.js";

/**
 * The chains declared to a worker, each made runnable (its exports looked up in the module) when
 * its first batch starts, and this worker's running estimate of each chain's time per item.
 */
export class WorkerChains {
  readonly #moduleUrl: string;
  readonly #declared = new Map<number, ChainMessage>();
  readonly #runners = new Map<number, ChainRunner | SerializedError>();
  /** Per chain: ms per item, a moving average (for progress notes). */
  readonly #perItemMs = new Map<number, number>();

  constructor(moduleUrl: string) {
    this.#moduleUrl = moduleUrl;
  }

  declare(def: ChainMessage): void {
    this.#declared.set(def.id, def);
  }

  forget(id: number): void {
    this.#declared.delete(id);
    this.#runners.delete(id);
    this.#perItemMs.delete(id);
  }

  /** The stage's timeout of chain `id`, if any. */
  timeoutOf(id: number): number | undefined {
    return this.#declared.get(id)?.to;
  }

  /**
   * The runner of chain `id` over `module`, or why it cannot run (an export missing, a chain
   * never declared), serialized for each item's failure.
   */
  runner(id: number, module: Record<string, unknown>): ChainRunner | SerializedError {
    let chain = this.#runners.get(id);
    if (chain !== undefined) return chain;
    const def = this.#declared.get(id);
    if (def === undefined) chain = serializeError(new Error(`weir: unknown chain ${id} (protocol error)`));
    else {
      try {
        chain = new ChainRunner(def.stage, def.steps, module, this.#moduleUrl);
      } catch (error) {
        chain = serializeError(error);
      }
    }
    this.#runners.set(id, chain);
    return chain;
  }

  /** This worker's estimate of ms per item of chain `id` (NaN before its first batch ended). */
  perItemMs(id: number): number {
    return this.#perItemMs.get(id) ?? Number.NaN;
  }

  /** Folds a batch's ms per item into chain `id`'s estimate. */
  measured(id: number, perItemMs: number): void {
    const prev = this.#perItemMs.get(id);
    this.#perItemMs.set(id, prev === undefined ? perItemMs : prev * 0.7 + perItemMs * 0.3);
  }
}
