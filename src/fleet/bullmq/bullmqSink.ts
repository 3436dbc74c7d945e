import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { func, knownKeys, nonEmptyString, optional, plainObject } from "../../options/validate.js";
import { redisTarget, type RedisConnection } from "../redis/RedisConnection.js";
import { bullmqClient } from "./bullmqConnection.js";

/** Options of {@link bullmqSink}. */
export interface BullmqSinkOptions<T> {
  /** The queue's name. */
  readonly queue: string;
  /** The Redis the queue lives in (a URL or ioredis options). */
  readonly redis: RedisConnection;
  /** BullMQ's key prefix. @default "bull" */
  readonly prefix?: string;
  /** The job name of an item. @default the queue's name */
  readonly name?: (item: T) => string;
  /** BullMQ job options of an item (`jobId` for a keyed, idempotent add; `attempts`…). @default none */
  readonly jobOptions?: (item: T) => Record<string, unknown>;
}

/** A BullMQ sink: a stage function over batches of items, and `close()` for its queue. */
export interface BullmqSink<T> {
  (items: readonly T[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A BullMQ queue as a sink: each batch of items is added with one `addBulk` (put a `.batch()`
 * before it), so existing BullMQ workers consume what a weir pipeline produces. With a `jobId`
 * from `jobOptions`, a replayed item does not add a second job. `close()` it after the runs.
 *
 * @example
 * ```ts
 * const emails = bullmqSink<Email>({ queue: "emails", redis, jobOptions: (e) => ({ jobId: e.id }) });
 * await pipeline("plan").from(users).map(toEmail).batch({ size: 500 }).to(emails).run();
 * await emails.close();
 * ```
 */
export function bullmqSink<T>(options: BullmqSinkOptions<T>): BullmqSink<T> {
  const where = "bullmqSink()";
  const o = plainObject(options, "options", where);
  knownKeys(o, ["queue", "redis", "prefix", "name", "jobOptions"], "", where);
  const queueName = nonEmptyString(o.queue, "queue", where);
  const target = redisTarget(o.redis, "redis", where);
  const prefix = optional(o.prefix, "bull", (v) => nonEmptyString(v, "prefix", where));
  const name = optional(o.name, undefined, (v) => func<(item: T) => string>(v, "name", where));
  const jobOptions = optional(o.jobOptions, undefined, (v) =>
    func<(item: T) => Record<string, unknown>>(v, "jobOptions", where),
  );
  let open: { client: Redis; queue: Queue } | undefined;
  const sink = async (items: readonly T[]): Promise<void> => {
    if (open === undefined) {
      const client = bullmqClient(target);
      open = { client, queue: new Queue(queueName, { connection: client, prefix }) };
    }
    await open.queue.addBulk(
      items.map((data) => ({
        name: name?.(data) ?? queueName,
        data,
        ...(jobOptions === undefined ? {} : { opts: jobOptions(data) }),
      })),
    );
  };
  return Object.assign(sink, {
    close: async () => {
      if (open === undefined) return;
      const { client, queue } = open;
      open = undefined;
      await queue.close();
      client.disconnect();
    },
  });
}
