import { AgingPriorityQueue } from "../channel/AgingPriorityQueue.js";
import { FairQueue } from "../channel/FairQueue.js";
import { FifoQueue } from "../channel/FifoQueue.js";
import type { ItemQueue } from "../channel/ItemQueue.js";
import { PriorityQueue } from "../channel/PriorityQueue.js";
import type { StageSettings } from "../stage/StageOptions.js";
import type { Clock } from "../time/Clock.js";

/** The queue in front of a stage, by its options: fair by key, priority (with aging), or FIFO. */
export function stageQueue(settings: StageSettings | undefined, capacity: number, clock: Clock): ItemQueue<unknown> {
  if (settings?.fairBy !== undefined) {
    return new FairQueue<unknown>(settings.fairWeight === undefined ? { key: settings.fairBy } : { key: settings.fairBy, weight: settings.fairWeight });
  }
  if (settings?.priority !== undefined) {
    if (settings.agingPerSecond !== undefined) {
      return new AgingPriorityQueue<unknown>({ priority: settings.priority, agingPerSecond: settings.agingPerSecond, clock });
    }
    return new PriorityQueue<unknown>(settings.priority);
  }
  return new FifoQueue<unknown>(Math.min(1024, capacity));
}
