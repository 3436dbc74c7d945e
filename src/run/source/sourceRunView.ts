import type { EventHandler, SubscribeOptions } from "../../events/EventBus.js";
import type { Run } from "../Run.js";
import type { RunEvents } from "../RunEvents.js";
import type { RunSnapshot } from "../RunResult.js";
import type { SourceNumbering } from "./SourceStep.js";

/**
 * Items of one source, among `sources`, that every item below the run-wide watermark `watermark`
 * includes: positions `p` with `p × sources + index < watermark`, at most `position`.
 */
export function sourceWatermark(watermark: number, sources: number, index: number, position: number): number {
  if (sources === 1) return watermark;
  return Math.max(0, Math.min(position, Math.ceil((watermark - index) / sources)));
}

/**
 * The run as one of several sources sees it, for a run-aware source (one that acknowledges what
 * it delivered, by its own positions): the low watermark, and the `index` of item events, in
 * that source's positions; events of other sources' items are not passed on. Everything else is
 * the run's.
 */
export function sourceRunView(run: Run & { lowWatermark(): number }, numbering: SourceNumbering): Run {
  const { sources, index } = numbering;
  const local = (snapshot: RunSnapshot): number => Math.max(0, Math.ceil((snapshot.lowWatermark - index) / sources));
  const lowWatermark = (): number => Math.max(0, Math.ceil((run.lowWatermark() - index) / sources));
  const view = {
    pipeline: run.pipeline,
    [Symbol.toStringTag]: "Run",
    get signal(): AbortSignal {
      return run.signal;
    },
    lowWatermark,
    on<K extends keyof RunEvents>(type: K, handler: EventHandler<RunEvents[K]>, options?: SubscribeOptions) {
      return run.on(
        type,
        ((event: RunEvents[K]) => {
          const i = (event as { index?: unknown }).index;
          if (typeof i !== "number") return handler(event);
          if (i % sources !== index) return undefined;
          return handler({ ...event, index: (i - index) / sources });
        }) as EventHandler<RunEvents[K]>,
        options,
      );
    },
    snapshot(): RunSnapshot {
      const snapshot = run.snapshot();
      return Object.freeze({ ...snapshot, lowWatermark: local(snapshot) });
    },
    stop: run.stop.bind(run),
    then: run.then.bind(run),
    catch: run.catch.bind(run),
    finally: run.finally.bind(run),
  };
  return view as unknown as Run;
}
