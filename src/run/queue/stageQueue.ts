import { AgingPriorityQueue, agingPriorityQueueDefaults } from "../../channel/AgingPriorityQueue.js";
import { FairQueue } from "../../channel/FairQueue.js";
import { FifoQueue } from "../../channel/FifoQueue.js";
import type { ItemQueue } from "../../channel/ItemQueue.js";
import { StampedQueue, type Stamped } from "../../channel/StampedQueue.js";
import type { StageSettings } from "../../stage/StageOptions.js";
import type { Clock } from "../../time/Clock.js";

/**
 * The queue in front of a stage, by its options: fair by key, priority (always with aging:
 * `agingPerSecond`, default 1), or FIFO. A stage whose items may give up waiting for admission
 * (a finite `maxWaitMs` with a flow-control policy) gets its items stamped as they are queued, so
 * the wait counts from then.
 */
export function stageQueue(settings: StageSettings | undefined, capacity: number, clock: Clock): ItemQueue<unknown> {
  if (settings !== undefined && Number.isFinite(settings.maxWaitMs) && hasPolicy(settings)) {
    return new StampedQueue<unknown>(
      clock,
      queueOf<Stamped<unknown>>(settings, capacity, clock, (e) => e.value),
    );
  }
  return queueOf<unknown>(settings, capacity, clock, (v) => v);
}

function queueOf<E>(
  settings: StageSettings | undefined,
  capacity: number,
  clock: Clock,
  item: (e: E) => unknown,
): ItemQueue<E> {
  const fairBy = settings?.fairBy;
  if (fairBy !== undefined) {
    const key = (e: E): string | number => fairBy(item(e));
    return new FairQueue<E>(settings!.fairWeight === undefined ? { key } : { key, weight: settings!.fairWeight });
  }
  const priority = settings?.priority;
  if (priority !== undefined) {
    const agingPerSecond = settings!.agingPerSecond ?? agingPriorityQueueDefaults.agingPerSecond;
    return new AgingPriorityQueue<E>({ priority: (e) => priority(item(e)), agingPerSecond, clock });
  }
  return new FifoQueue<E>(Math.min(1024, capacity));
}

function hasPolicy(s: StageSettings): boolean {
  return (
    s.breaker !== undefined ||
    s.rateLimit !== undefined ||
    s.bulkhead !== undefined ||
    s.admissions.length > 0 ||
    s.adaptive !== undefined
  );
}
