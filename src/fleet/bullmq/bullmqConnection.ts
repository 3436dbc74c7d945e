import { Redis } from "ioredis";
import type { RedisTarget } from "../redis/RedisConnection.js";

/**
 * An ioredis client for BullMQ from a checked connection: BullMQ's blocking commands need
 * `maxRetriesPerRequest: null`. The caller closes it (BullMQ does not close a client it was given).
 */
export function bullmqClient(target: RedisTarget): Redis {
  const options = { ...target.options, maxRetriesPerRequest: null };
  const client = target.url === undefined ? new Redis(options) : new Redis(target.url, options);
  client.on("error", () => undefined); // BullMQ reports failures through its own calls
  return client;
}
