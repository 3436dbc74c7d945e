/**
 * `weir/bullmq`: BullMQ queues as pipeline sources and sinks, for interop with existing BullMQ
 * producers and workers. Needs the `bullmq` package (an optional peer dependency).
 */
export { bullmqSource } from "./fleet/bullmq/bullmqSource.js";
export type { BullmqSourceOptions } from "./fleet/bullmq/bullmqSource.js";
export { bullmqSink } from "./fleet/bullmq/bullmqSink.js";
export type { BullmqSink, BullmqSinkOptions } from "./fleet/bullmq/bullmqSink.js";
