/**
 * `weir/redis`: scaling out over Redis. Stages served by fleets of `weir worker` processes
 * (`fleet()`), workers started in code (`startFleetWorker()`), Redis streams as sources and
 * sinks, and the errors they throw. Loaded only when imported: the core never loads ioredis.
 */
export { fleet } from "./fleet/fleet.js";
export type { FleetOptions } from "./fleet/FleetOptions.js";
export { fleetDefaults } from "./fleet/FleetOptions.js";
export type { RedisConnection } from "./fleet/redis/RedisConnection.js";
export { startFleetWorker } from "./fleet/worker/startFleetWorker.js";
export type { FleetWorker, FleetWorkerStats } from "./fleet/worker/FleetWorker.js";
export type { FleetWorkerOptions } from "./fleet/worker/WorkerOptions.js";
export { workerDefaults } from "./fleet/worker/WorkerOptions.js";
export { RedisUnavailableError } from "./fleet/errors/RedisUnavailableError.js";
export { RedisAuthError } from "./fleet/errors/RedisAuthError.js";
export { RedisTlsError } from "./fleet/errors/RedisTlsError.js";
export { FleetDeliveriesError } from "./fleet/errors/FleetDeliveriesError.js";
export { redisStreamSource } from "./fleet/stream/redisStreamSource.js";
export type { RedisStreamSourceOptions, StreamFields } from "./fleet/stream/redisStreamSource.js";
export { redisStreamSink } from "./fleet/stream/redisStreamSink.js";
export type { RedisStreamSink, RedisStreamSinkOptions, StreamEntry } from "./fleet/stream/redisStreamSink.js";
