import { FleetWorker } from "./FleetWorker.js";
import { loadServices } from "./loadServices.js";
import { workerSettings, type FleetWorkerOptions } from "./WorkerOptions.js";

/**
 * Starts a fleet worker in this process: loads the modules, connects to Redis and serves their
 * exports to every fleet stage that names them, until `stop()`. What `weir worker` runs.
 *
 * @throws InvalidOptionError for invalid options; LoadError when a module or a named export is
 * missing; RedisUnavailableError, RedisAuthError or RedisTlsError when Redis cannot be used
 * @example
 * ```ts
 * const worker = await startFleetWorker({ modules: ["./dist/embed.js"], redis: process.env.REDIS_URL!, concurrency: 32 });
 * process.once("SIGTERM", () => void worker.stop(25_000));
 * ```
 */
export async function startFleetWorker(options: FleetWorkerOptions): Promise<FleetWorker> {
  const settings = workerSettings(options);
  const services = await loadServices(settings.modules, settings.exports);
  const worker = new FleetWorker(settings, services);
  try {
    await worker.start();
  } catch (error) {
    await worker.stop(0);
    throw error;
  }
  return worker;
}
