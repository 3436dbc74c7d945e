import { randomUUID } from "node:crypto";
import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { boolean, knownKeys, nonEmptyString, optional, plainObject, positiveInt } from "../../options/validate.js";
import type { Run } from "../../run/Run.js";
import { attachRun, type RunAwareSource } from "../../source/attachRun.js";
import { redisTarget, type RedisConnection, type RedisTarget } from "../redis/RedisConnection.js";
import { DeliveryTracker } from "../source/DeliveryTracker.js";
import { bullmqClient } from "./bullmqConnection.js";

/**
 * Options of {@link bullmqSource}.
 * @example `bullmqSource({ queue: "emails", redis: "redis://redis:6379" })`
 */
export interface BullmqSourceOptions {
  /** The queue's name. */
  readonly queue: string;
  /** The Redis the queue lives in (a URL or ioredis options). */
  readonly redis: RedisConnection;
  /** BullMQ's key prefix. @default "bull" */
  readonly prefix?: string;
  /**
   * How long a job stays locked to this reader without renewal; the source renews the locks of
   * the jobs its run holds every half of it. A reader that dies lets its jobs go back to the queue
   * after this (BullMQ's stalled-job check).
   * @default 30000
   */
  readonly lockMs?: number;
  /** End the source when the queue has no waiting job. @default false */
  readonly endWhenEmpty?: boolean;
  /** How long one fetch waits for a job when the queue is empty, in seconds (BullMQ's drainDelay). @default 1 */
  readonly waitSeconds?: number;
}

interface Settings {
  readonly queue: string;
  readonly redis: RedisTarget;
  readonly prefix: string;
  readonly lockMs: number;
  readonly endWhenEmpty: boolean;
  readonly waitSeconds: number;
}

/**
 * A BullMQ queue as a pipeline source: each job's `data` is an item. A job is moved to
 * `completed` once its item has left the pipeline done, and to `failed` (with the stage's error;
 * BullMQ's own `attempts` then apply) when it was dead-lettered or skipped. Jobs a run still held
 * when it ended otherwise are left locked: BullMQ moves them back to `waiting` when their lock
 * expires. So existing BullMQ producers feed a weir pipeline unchanged.
 *
 * @throws InvalidOptionError for invalid options
 * @example
 * ```ts
 * import { bullmqSource } from "weir/bullmq";
 * await pipeline("mailer").from(bullmqSource({ queue: "emails", redis })).map(send, { concurrency: 32, onError: "dead-letter" }).run();
 * ```
 */
export function bullmqSource<T = unknown>(options: BullmqSourceOptions): AsyncIterable<T> & RunAwareSource {
  const where = "bullmqSource()";
  const o = plainObject(options, "options", where);
  knownKeys(o, ["queue", "redis", "prefix", "lockMs", "endWhenEmpty", "waitSeconds"], "", where);
  const settings: Settings = {
    queue: nonEmptyString(o.queue, "queue", where),
    redis: redisTarget(o.redis, "redis", where),
    prefix: optional(o.prefix, "bull", (v) => nonEmptyString(v, "prefix", where)),
    lockMs: optional(o.lockMs, 30_000, (v) => positiveInt(v, "lockMs", where)),
    endWhenEmpty: optional(o.endWhenEmpty, false, (v) => boolean(v, "endWhenEmpty", where)),
    waitSeconds: optional(o.waitSeconds, 1, (v) => positiveInt(v, "waitSeconds", where)),
  };
  let opened: QueueSession<T> | undefined;
  return {
    [Symbol.asyncIterator]: () => (opened = new QueueSession<T>(settings)),
    [attachRun]: (run: Run) => {
      const session = opened;
      opened = undefined;
      return session?.attach(run);
    },
  };
}

/** One run's reading of the queue. */
class QueueSession<T> implements AsyncIterator<T> {
  readonly #s: Settings;
  readonly #client: Redis;
  readonly #worker: Worker;
  readonly #token = randomUUID();
  readonly #held = new Set<Job>();
  readonly #tracker: DeliveryTracker<Job>;
  readonly #renewal: NodeJS.Timeout;
  #done = false;

  constructor(settings: Settings) {
    this.#s = settings;
    this.#client = bullmqClient(settings.redis);
    this.#worker = new Worker(settings.queue, null, {
      connection: this.#client,
      prefix: settings.prefix,
      autorun: false,
      lockDuration: settings.lockMs,
      drainDelay: settings.waitSeconds,
    });
    this.#worker.on("error", () => undefined); // failures surface through getNextJob
    this.#tracker = new DeliveryTracker<Job>(async (ended) => {
      for (const [job, end, error] of ended) {
        this.#held.delete(job);
        if (end === "done") await job.moveToCompleted(null, this.#token, false);
        else await job.moveToFailed(error instanceof Error ? error : new Error(String(error)), this.#token, false);
      }
    });
    this.#renewal = setInterval(
      () => {
        for (const job of this.#held) job.extendLock(this.#token, settings.lockMs).catch(() => undefined);
      },
      Math.max(10, Math.floor(settings.lockMs / 2)),
    );
    this.#renewal.unref();
  }

  /** Follows `run`; returns what the run awaits at its end: the last job moves, then closing. */
  attach(run: Run): () => Promise<void> {
    const settle = this.#tracker.attach(run, 100);
    return async () => {
      await settle();
      await this.#close();
    };
  }

  async next(): Promise<IteratorResult<T>> {
    while (!this.#done) {
      const job = (await this.#worker.getNextJob(this.#token, { block: !this.#s.endWhenEmpty })) as Job | undefined;
      if (job === undefined || job === null) {
        if (this.#s.endWhenEmpty) break;
        continue;
      }
      this.#held.add(job);
      this.#tracker.delivered(job);
      return { done: false, value: job.data as T };
    }
    this.#done = true;
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<T>> {
    this.#done = true;
    if (!this.#tracker.attached) await this.#close();
    return { done: true, value: undefined };
  }

  async #close(): Promise<void> {
    clearInterval(this.#renewal);
    await this.#worker.close().catch(() => undefined);
    this.#client.disconnect();
  }
}
