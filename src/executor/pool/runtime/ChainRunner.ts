import { BatchResultError } from "../../../errors/BatchResultError.js";
import { readsContext } from "../../../stage/readsContext.js";
import { chainEmitsMany, type ChainStep, type ChainStepKind } from "../wire/WireMessage.js";

/** A stage function as it runs inside a worker: `(item, ctx)`, sync or async. */
export type WorkerStageFunction = (item: unknown, ctx: unknown) => unknown;

interface Step {
  readonly kind: ChainStepKind;
  readonly fn: WorkerStageFunction;
  readonly stage: string;
}

/**
 * An item's context as the chain sees it: in a chain of several stages, each function sees its
 * own stage's name in `stage`, and `_input` holds the value the running step was given, so a
 * failure can be reported under that stage with that item.
 */
export interface ChainContext {
  stage: string;
  /** @internal */
  _input: unknown;
}

/** True for a value with a `then` method (reading `then` may throw: the caller catches it as the item's failure). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === "object" || typeof v === "function") &&
    typeof (v as PromiseLike<unknown>).then === "function"
  );
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v !== null && typeof v === "object" && Symbol.asyncIterator in v;
}

/**
 * Runs one item through a chain of colocated stages inside a worker. A chain of `map`/`tap`
 * stages yields one value; a chain with a `filter`, `flatMap` or `mapBatch` yields an array of
 * 0..n outputs (`emitsMany`). A `mapBatch` step is given an array (a batch) and must return one
 * result per element, in order ({@link BatchResultError} otherwise): its results go on one by
 * one. Synchronous functions run without a promise; the first promise switches that item (only)
 * to an async path.
 */
export class ChainRunner {
  readonly stage: string;
  readonly emitsMany: boolean;
  /**
   * False when no function of the chain can see its context (one stage, whose function certainly
   * cannot read its second argument: see {@link readsContext}): {@link ChainRunner.run} may then
   * be given none, and a synchronous item costs no context object.
   */
  readonly readsContext: boolean;
  /**
   * The function of a chain of one `map` step that cannot see its context: a worker may call it
   * itself, item after item, for what {@link ChainRunner.run} would return (the value, or for a
   * thenable {@link ChainRunner.awaited} of it), without the walk over steps. Undefined for any
   * other chain.
   */
  readonly plain: WorkerStageFunction | undefined;
  readonly #steps: readonly Step[];
  /** More than one step: each names its own stage on the context as it runs. */
  readonly #several: boolean;

  /**
   * @param steps the chain, in order
   * @param module the loaded module; each step's export must be a function
   * @throws TypeError when an export is missing or not a function
   */
  constructor(stage: string, steps: readonly ChainStep[], module: Record<string, unknown>, moduleUrl: string) {
    this.stage = stage;
    this.#steps = steps.map((s) => {
      const fn = module[s.exportName];
      if (typeof fn !== "function") {
        const error = new TypeError(
          `stage "${stage}": module ${moduleUrl} has no function export "${s.exportName}" (found ${fn === undefined ? "nothing" : typeof fn})`,
        );
        (error as TypeError & { code: string }).code = "WEIR_LOAD_FAILED";
        throw error;
      }
      return { kind: s.kind, fn: fn as WorkerStageFunction, stage: s.stage ?? stage };
    });
    this.#several = steps.length > 1;
    // a chain of several stages names the running one on the context (for its failures)
    this.readsContext = this.#several || this.#steps.some((s) => readsContext(s.fn));
    this.emitsMany = chainEmitsMany(steps);
    const only = this.#steps[0];
    this.plain = this.#steps.length === 1 && only!.kind === "map" && !this.readsContext ? only!.fn : undefined;
  }

  /**
   * What {@link ChainRunner.run} returns for an item whose {@link ChainRunner.plain} function
   * returned the thenable `pending`: a promise of its value.
   */
  awaited(pending: PromiseLike<unknown>): Promise<unknown> {
    return this.#singleAsync(pending, undefined, 0, undefined);
  }

  /**
   * Runs `item` through the chain: the result, or a promise of it; throws what a function throws.
   * After a failure, `ctx.stage` and `ctx._input` name the stage that failed and what it was given.
   * `ctx` may be left out only when the chain does not {@link ChainRunner.readsContext}.
   */
  run(item: unknown, ctx: ChainContext | undefined): unknown {
    return this.emitsMany ? this.#many([item], 0, ctx) : this.#single(item, 0, ctx);
  }

  /** Marks `step` as the one running on `ctx`, given `input` (chains of several stages only). */
  #enter(step: Step, input: unknown, ctx: ChainContext | undefined): void {
    if (!this.#several) return;
    // a chain of several stages reads its context: it was given one
    ctx!.stage = step.stage;
    ctx!._input = input;
  }

  #single(item: unknown, from: number, ctx: ChainContext | undefined): unknown {
    const steps = this.#steps;
    let value = item;
    for (let s = from; s < steps.length; s++) {
      const step = steps[s]!;
      this.#enter(step, value, ctx);
      const r = step.fn(value, ctx);
      if (isThenable(r)) return this.#singleAsync(r, step.kind === "map" ? undefined : value, s, ctx);
      if (step.kind === "map") value = r;
    }
    return value;
  }

  async #singleAsync(
    pending: PromiseLike<unknown>,
    keep: unknown,
    s: number,
    ctx: ChainContext | undefined,
  ): Promise<unknown> {
    const r = await pending;
    return this.#single(this.#steps[s]!.kind === "map" ? r : keep, s + 1, ctx);
  }

  #many(values: unknown[], from: number, ctx: ChainContext | undefined): unknown[] | Promise<unknown[]> {
    const steps = this.#steps;
    let current = values;
    for (let s = from; s < steps.length; s++) {
      const step = steps[s]!;
      const next: unknown[] = [];
      for (let j = 0; j < current.length; j++) {
        const v = current[j];
        this.#enter(step, v, ctx);
        const r = step.fn(v, ctx);
        if (isThenable(r) || (step.kind === "flatMap" && isAsyncIterable(r))) {
          return this.#manyAsync(current, next, s, j, r, ctx);
        }
        this.#collect(step, v, r, next);
      }
      current = next;
    }
    return current;
  }

  /** Finishes step `s` from element `j` (whose result `r` is pending) asynchronously, then the rest. */
  async #manyAsync(
    current: unknown[],
    next: unknown[],
    s: number,
    j: number,
    r: unknown,
    ctx: ChainContext | undefined,
  ): Promise<unknown[]> {
    const step = this.#steps[s]!;
    for (;;) {
      const v = current[j];
      let result = isThenable(r) ? await r : r;
      if (step.kind === "flatMap" && isAsyncIterable(result)) {
        const collected: unknown[] = [];
        for await (const x of result) collected.push(x);
        result = collected;
      }
      this.#collect(step, v, result, next);
      if (++j >= current.length) break;
      this.#enter(step, current[j], ctx);
      r = step.fn(current[j], ctx);
    }
    return this.#many(next, s + 1, ctx);
  }

  #collect(step: Step, value: unknown, result: unknown, next: unknown[]): void {
    switch (step.kind) {
      case "map":
        next.push(result);
        break;
      case "tap":
        next.push(value);
        break;
      case "filter":
        if (result) next.push(value);
        break;
      case "mapBatch": {
        const expected = Array.isArray(value) ? value.length : 0;
        if (!Array.isArray(result) || result.length !== expected)
          throw new BatchResultError(step.stage, expected, result);
        for (let i = 0; i < result.length; i++) next.push(result[i]);
        break;
      }
      case "flatMap":
        if (
          result === null ||
          result === undefined ||
          typeof (result as Iterable<unknown>)[Symbol.iterator] !== "function"
        ) {
          throw new TypeError(
            `stage "${step.stage}": a flatMap function must return an iterable, received ${result === null ? "null" : typeof result}`,
          );
        }
        for (const x of result as Iterable<unknown>) next.push(x);
        break;
    }
  }
}
