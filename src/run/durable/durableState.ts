import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import type { StageContext } from "../../stage/StageContext.js";
import { statesOfKey } from "./RunStates.js";

/** State a stage keeps across the items of a durable run, checkpointed with it (see {@link durableState}). */
export interface DurableState<S> {
  /** The name it is checkpointed under (unique in the pipeline). */
  readonly name: string;
  /**
   * This run's value, for the item `ctx` belongs to: on a resume, the value of the run's last
   * checkpoint; otherwise `initial()`, made on first use. Mutate it in place (or keep an object
   * and reassign its fields): what it holds at each group commit is what is stored.
   * @throws InvalidOptionError outside a durable run's inline or async stage (no store, or a
   *   worker-thread or child-process stage, whose memory is not the run's)
   */
  of(ctx: StageContext): S;
}

/**
 * Declares state that a stage keeps across items (a running total, the keys it has seen, a model
 * it updates) and that a durable run stores with its checkpoints: at every group commit its value
 * is encoded (msgpack: plain objects, arrays, Maps, Sets, Dates, typed arrays, BigInts) in the
 * same transaction as the checkpoint, and a resume starts from that value. A value the store
 * cannot encode fails the run with a `SerializationError` (`WEIR_NOT_SERIALIZABLE`), before
 * anything of that commit is written.
 *
 * What the state holds at a commit may include the effect of items that were not done yet then
 * (still on their way to the sink): a resume runs those items again, so an update they made is
 * made twice. Key updates on `ctx.key` (a Set of keys seen, a Map of per-key values) when that
 * matters: the key is the same on every replay.
 *
 * Inline and async stages only (the state lives in the run's process).
 *
 * @example
 * ```ts
 * const totals = durableState("totals", () => ({ seen: new Set<string>(), sum: 0 }));
 * pipeline("sum")
 *   .from((offset: number) => orders.slice(offset))
 *   .tap((o, ctx) => {
 *     const t = totals.of(ctx);
 *     if (!t.seen.has(ctx.key!)) (t.seen.add(ctx.key!), (t.sum += o.amount));
 *   })
 *   .run({ store, runId: "sum-1" });
 * ```
 */
export function durableState<S>(name: string, initial: () => S): DurableState<S> {
  const where = "durableState()";
  if (typeof name !== "string" || name === "") throw new InvalidOptionError("name", "a non-empty string", name, where);
  if (typeof initial !== "function") throw new InvalidOptionError("initial", "a function", initial, where);
  return {
    name,
    of(ctx: StageContext): S {
      const key = ctx.key;
      const states = key === undefined ? undefined : statesOfKey(key);
      if (states === undefined) {
        throw new InvalidOptionError(
          "store",
          "an inline or async stage of a durable run (run({ store }))",
          key === undefined ? "a run without a store" : "a stage outside the run's process",
          `durableState("${name}") in stage "${ctx.stage}"`,
        );
      }
      return states.get(name, initial) as S;
    },
  };
}
