import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { nonEmptyString } from "../options/validate.js";
import { isSourceInput } from "../source/openSource.js";
import type { SourceInput } from "../source/SourceInput.js";
import { PipelineGraph } from "./PipelineGraph.js";
import { Stream } from "./Stream.js";

/** The start of a pipeline definition: give it a source. */
export interface PipelineStart<T> {
  /** The pipeline's name (in metrics, events, errors, checkpoints). */
  readonly name: string;
  /**
   * Sets the source. It is pulled as the channels below have room, never drained eagerly; a
   * function is called at the start of each run.
   */
  from<U extends T = T>(source: SourceInput<U>): Stream<U>;
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
  return {
    name,
    from<U extends T = T>(source: SourceInput<U>): Stream<U> {
      if (!isSourceInput(source)) {
        throw new InvalidOptionError(
          "from",
          "an Iterable, AsyncIterable, ReadableStream, Node Readable, or a function returning one",
          source,
          `pipeline "${name}"`,
        );
      }
      const graph = new PipelineGraph(name);
      const node = graph.add({
        name: "source",
        kind: "source",
        fn: undefined,
        remote: undefined,
        settings: undefined,
        batch: undefined,
        route: undefined,
        source: source as SourceInput<unknown>,
        inputs: [],
      });
      return new Stream<U>(graph, node);
    },
  };
}
