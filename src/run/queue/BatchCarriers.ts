/**
 * A batch travels on as one item under the smallest source index among its items (its carrier),
 * so the other indexes of a batch on its way are held by its carrier alone. A durable run keeps,
 * per carrier, the largest index its batch covers (a batch of batches: of the batches' items), so
 * that its checkpoints never count an item of a batch still on its way as done. Only a durable run
 * keeps one ({@link trackBatchCarriers}): other runs record nothing.
 */
export class BatchCarriers {
  /** Carrier → largest source index its batch covers; an entry leaves once its carrier is done. */
  readonly #covers = new Map<number, number>();

  /** A batch went on under `carrier`, covering indexes up to `last`. */
  record(carrier: number, last: number): void {
    if (last > carrier && last > (this.#covers.get(carrier) ?? -1)) this.#covers.set(carrier, last);
  }

  /** The largest index a batch carried by `index` covers (`index` itself when it carries none). */
  lastCovered(index: number): number {
    return this.#covers.get(index) ?? index;
  }

  /**
   * Calls `cover(carrier, last)` for each carrier `isHeld` says is still in the pipeline, and
   * forgets the others (their batch is done).
   */
  expand(isHeld: (index: number) => boolean, cover: (carrier: number, last: number) => void): void {
    for (const [carrier, last] of this.#covers) {
      if (isHeld(carrier)) cover(carrier, last);
      else this.#covers.delete(carrier);
    }
  }
}

const byRun = new WeakMap<object, BatchCarriers>();

/** Starts keeping batch carriers for `run` (a durable run, before its first batch); returns them. */
export function trackBatchCarriers(run: object): BatchCarriers {
  let carriers = byRun.get(run);
  if (carriers === undefined) byRun.set(run, (carriers = new BatchCarriers()));
  return carriers;
}

/** The batch carriers of `run`, when it keeps them. */
export function batchCarriersOf(run: object): BatchCarriers | undefined {
  return byRun.get(run);
}
