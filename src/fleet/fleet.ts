import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { nonEmptyString } from "../options/validate.js";
import type { ChainStep } from "../executor/pool/wire/WireMessage.js";
import { moduleUrl as normalize } from "../executor/pool/stage/moduleUrl.js";
import { poolStageBrand, type PoolStage } from "../executor/pool/stage/PoolStage.js";
import { FleetExecutor } from "./FleetExecutor.js";
import { fleetSettings, type FleetOptions } from "./FleetOptions.js";
import { FleetKeys, serviceName } from "./protocol/FleetKeys.js";
import { RESULT_ARRAY, RESULT_NONE, RESULT_TRUTH, RESULT_VALUE } from "./protocol/FleetWire.js";

let stages = 0;

/**
 * A stage function served by a fleet of `weir worker` processes, on this machine or others,
 * through Redis Streams: export `exportName` of `module`, called in a worker as `(item, ctx)`.
 * The origin (this process) keeps the pipeline: source, ordering, retries, timeouts, rate limits,
 * dead letters and sink; only the calls travel. Pass it to `.map`, `.filter`, `.flatMap`, `.tap`
 * or `.to` in place of a function, as `worker()` and `child()`.
 *
 * Start workers with `weir worker <module> --redis <url>` (the same module, built or not: the
 * export is found by the module's file name and the export's name). Items travel as msgpack, many
 * per stream entry; at most `maxInFlight` are in flight, so a slow fleet slows the source.
 * Delivery is at least once, with leases: a worker that dies or stalls past its lease has its
 * entries taken over, and its late results are discarded (fenced), so each item counts once
 * here. See docs/fleet.md.
 *
 * @param module `new URL("./module.js", import.meta.url)`, a `file:` URL or an absolute path
 * @param exportName the function's export name
 * @param options the Redis connection and the in-flight bounds; see {@link FleetOptions}
 * @throws InvalidOptionError when the module is not a file URL or absolute path, or an option is invalid
 * @example
 * ```ts
 * import { fleet } from "weir/redis";
 * pipeline("docs").from(texts)
 *   .map(fleet<string, number[]>(new URL("./embed.js", import.meta.url), "embed", { redis: "redis://redis:6379" }),
 *        { timeoutMs: 30_000, retry: 3, onError: "dead-letter" })
 * ```
 */
export function fleet<I = unknown, O = unknown>(
  module: URL | string,
  exportName: string,
  options: FleetOptions,
): PoolStage<I, O> {
  const where = "fleet()";
  const url = normalize(module, where);
  if (!url.startsWith("file:"))
    throw new InvalidOptionError(
      "module",
      "a file: URL or an absolute path (workers find the export by file name)",
      url,
      where,
    );
  nonEmptyString(exportName, "exportName", where);
  const settings = fleetSettings(options, where);
  const service = serviceName(url, exportName);
  const stream = new FleetKeys(settings.prefix).requests(service);
  // each fleet stage is its own chain: no colocation (a hop through Redis per stage)
  const colocationKey = `fleet\n${url}\n${exportName}\n${++stages}`;
  return Object.freeze({
    [poolStageBrand]: true as const,
    context: "fleet" as const,
    moduleUrl: url,
    exportName,
    name: exportName,
    options,
    settings: undefined,
    factory: Object.freeze({
      context: "fleet" as const,
      colocationKey,
      exportName,
      settings: undefined,
      placement: `runs on a fleet: weir workers serving "${service}" (Redis stream ${stream} at ${settings.redis.server})`,
      maxWindow: () => FleetExecutor.maxWindow(settings),
      create: (stage: string, chain: readonly ChainStep[], timeoutMs?: number) =>
        new FleetExecutor(stage, service, settings, timeoutMs, resultKind(chain[0]?.kind ?? "map")),
    }),
  });
}

/** What a worker sends back per item for a stage of this kind (a sink comes as "tap"). */
function resultKind(kind: ChainStep["kind"]): number {
  if (kind === "filter") return RESULT_TRUTH;
  if (kind === "flatMap") return RESULT_ARRAY;
  if (kind === "tap") return RESULT_NONE;
  return RESULT_VALUE;
}
