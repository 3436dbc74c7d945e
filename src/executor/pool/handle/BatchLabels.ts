import { parseFromWorker } from "./parseFromWorker.js";
import type { SerializedError } from "../wire/SerializedError.js";
import {
  MSG_BATCH,
  MSG_CHAIN,
  MSG_RESULT,
  MSG_UNCHAIN,
  type BatchMessage,
  type FromWorker,
  type ResultMessage,
  type ToWorker,
} from "../wire/WireMessage.js";
import { isResultWireCode } from "../wire/wireValueErrors.js";

/** What a batch in flight needs to name its items and check its reply: chain, source indices, size. */
interface BatchLabel {
  readonly chain: number;
  readonly indices: number[] | number;
  readonly size: number;
}

/**
 * The stage and source index of every item a worker holds, read from the messages its handle
 * sends (chains declared, batches sent) and dropped when the batch's result comes back: so an
 * item that cannot cross the wire, either way, fails with an error that names them, and a reply
 * that does not fit what the worker holds is caught. One per handle; costs a map entry per batch
 * in flight.
 */
export class BatchLabels {
  readonly #stages = new Map<number, string>();
  readonly #batches = new Map<number, BatchLabel>();

  /**
   * A value a worker sent, as the message it must be: of a known shape ({@link parseFromWorker})
   * and, for a result, fitting a batch the worker holds ({@link replied}); or what is wrong with it.
   */
  read(value: unknown): FromWorker | string {
    const m = parseFromWorker(value);
    return typeof m !== "string" && m.t === MSG_RESULT ? this.replied(m) : m;
  }

  /** Notes a message the parent sends (before sending it). */
  sent(m: ToWorker): void {
    if (m.t === MSG_BATCH) this.#batches.set(m.b, { chain: m.c, indices: m.i, size: m.x.length });
    else if (m.t === MSG_CHAIN) this.#stages.set(m.id, m.stage);
    else if (m.t === MSG_UNCHAIN) this.#stages.delete(m.id);
  }

  /** A batch that could not be sent: it will get no result. */
  unsent(m: BatchMessage): void {
    this.#batches.delete(m.b);
  }

  /** The stage and source index of item `k` of a batch message. */
  label(m: BatchMessage, k: number): [stage: string, index: number] {
    return [this.#stages.get(m.c) ?? `chain ${m.c}`, indexOf(m.i, k)];
  }

  /**
   * The batch's result came back: forgets the batch, and names the stage and source index in
   * each failure the worker reported for a result that could not cross (the worker knows
   * neither), so the parent rebuilds it as a coded error about that item. Returns what is wrong
   * instead when the reply does not fit the batch (one it was not sent, or not one value per
   * item, or positions outside the batch).
   */
  replied(m: ResultMessage): ResultMessage | string {
    const label = this.#batches.get(m.b);
    if (label === undefined) return `a result for batch ${m.b}, which it does not hold`;
    this.#batches.delete(m.b);
    const n = label.size;
    if (m.v.length !== n) return `a result of ${m.v.length} values for batch ${m.b} of ${n} items`;
    const outside = (k: number): boolean => k >= n;
    if (
      m.e?.some((f) => outside(f[0])) === true ||
      m.o?.some(outside) === true ||
      m.r?.some((p) => outside(p[0])) === true
    ) {
      return `a result for batch ${m.b} naming positions outside it`;
    }
    if (m.e === null) return m;
    const stage = this.#stages.get(label.chain) ?? `chain ${label.chain}`;
    for (const failure of m.e) {
      const error = failure[1];
      if (!isResultWireCode(error.code)) continue;
      const named: SerializedError = {
        ...error,
        props: { ...error.props, stage, index: indexOf(label.indices, failure[0]) },
      };
      failure[1] = named;
    }
    return m;
  }
}

function indexOf(indices: number[] | number, k: number): number {
  return typeof indices === "number" ? indices + k : (indices[k] ?? -1);
}
