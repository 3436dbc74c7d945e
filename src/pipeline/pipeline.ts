import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, nonEmptyString, optional, plainObject } from "../options/validate.js";
import { isSourceInput } from "../source/isSourceInput.js";
import type { SourceInput } from "../source/SourceInput.js";
import { PipelineGraph } from "../graph/PipelineGraph.js";
import { Stream } from "./Stream.js";

/**
 * Options of {@link PipelineStart.from}.
 *
 * @example
 * ```ts
 * const p = pipeline("billing");
 * const orders = p.from(readOrders, { name: "orders" });
 * const refunds = p.from(readRefunds, { name: "refunds" });
 * ```
 */
export interface SourceOptions {
  /**
   * The source's name in stats, events, errors and the plan (unique among the pipeline's stages).
   * @default "source" for the first source, then `source-<n>`
   */
  readonly name?: string;
}

/** The start of a pipeline definition: give it a source, or several. */
export interface PipelineStart<T> {
  /** The pipeline's name (in metrics, events, errors, checkpoints). */
  readonly name: string;
  /**
   * Adds a source and returns the stream of its items. It is pulled as the channels below have
   * room, never drained eagerly; a function is called at the start of each run. Calling `from()`
   * again adds another source to the same pipeline: each source is pulled on its own (its own
   * stats row, its own end), streams of different sources combine with `merge()`, and a run ends
   * when every source ended and what they gave drained.
   */
  from<U extends T = T>(source: SourceInput<U>, options?: SourceOptions): Stream<U>;
}

/**
 * Starts a pipeline definition.
 *
 * @example
 * ```ts
 * const run = pipeline<Order>("orders")
 *   .from(readOrders)
 *   .map(parse)
 *   .map(enrich, { concurrency: 32, retry: { attempts: 5 }, onError: "dead-letter" })
 *   .batch({ size: 500, maxWaitMs: 200 })
 *   .to(writeRows, { concurrency: 4 })
 *   .run();
 * ```
 */
export function pipeline<T = unknown>(name: string): PipelineStart<T> {
  nonEmptyString(name, "name", "pipeline()");
  let graph: PipelineGraph | undefined;
  return {
    name,
    from<U extends T = T>(source: SourceInput<U>, options: SourceOptions = {}): Stream<U> {
      const where = `pipeline "${name}" from()`;
      if (!isSourceInput(source)) {
        throw new InvalidOptionError(
          "from",
          "an Iterable, AsyncIterable, ReadableStream, Node Readable, or a function returning one",
          source,
          `pipeline "${name}"`,
        );
      }
      const o = plainObject(options, "options", where);
      knownKeys(o, ["name"], "", where);
      graph ??= new PipelineGraph(name);
      const g = graph;
      const sourceName =
        optional(o.name, undefined, (v) => nonEmptyString(v, "name", where)) ?? g.defaultName("source", "source");
      const node = g.add({
        name: sourceName,
        kind: "source",
        fn: undefined,
        pool: undefined,
        settings: undefined,
        batch: undefined,
        route: undefined,
        source: source as SourceInput<unknown>,
        inputs: [],
      });
      return new Stream<U>(g, node);
    },
  };
}
