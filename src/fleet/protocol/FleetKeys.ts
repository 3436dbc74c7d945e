import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidOptionError } from "../../errors/InvalidOptionError.js";

/** The consumer group every request stream has; all `weir worker`s read through it. */
export const WORKER_GROUP = "weir";

/**
 * Where a fleet's data lives in Redis, under `prefix` (default `weir`):
 *
 * - `<prefix>:q:<service>`: the request stream of one export (`<service>` is `<module>:<export>`,
 *   the module's file name without its extension: `embed:embed`); consumer group `weir`.
 * - `<prefix>:run:<run>`: a run's liveness key, refreshed by its origin with a TTL; workers write
 *   no result for a run whose key is gone.
 * - `<prefix>:r:<run>`: the run's reply stream (results, trimmed as the origin reads them).
 * - `<prefix>:done:<run>`: the run's done hash (per batch, the positions answered: each item is
 *   answered once), expiring with the run, trimmed as the origin settles batches.
 * - `<prefix>:ctl`: the pub/sub channel for cancellations (a run that ended, items aborted).
 */
export class FleetKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  requests(service: string): string {
    return `${this.prefix}:q:${service}`;
  }

  run(runId: string): string {
    return `${this.prefix}:run:${runId}`;
  }

  replies(runId: string): string {
    return `${this.prefix}:r:${runId}`;
  }

  done(runId: string): string {
    return `${this.prefix}:done:${runId}`;
  }

  get control(): string {
    return `${this.prefix}:ctl`;
  }
}

/**
 * The service an export is served as: `<module>:<export>`, where `<module>` is the module's file
 * name without extensions (`embed.ts`, `embed.js` and `embed.mjs` are all `embed`), so an origin
 * running TypeScript and workers running the built JavaScript agree.
 */
export function serviceName(moduleUrl: string, exportName: string): string {
  const path = moduleUrl.startsWith("file:") ? fileURLToPath(moduleUrl) : moduleUrl;
  const file = basename(path).replace(/\.(d\.)?[cm]?[jt]sx?$/, "");
  return `${file}:${exportName}`;
}

/**
 * Checks a key prefix: letters, digits and `_ . - { }` (a `{tag}` keeps a fleet's keys in one
 * Redis Cluster slot); no colon or space, which would make keys ambiguous.
 * @throws InvalidOptionError naming `option`
 */
export function keyPrefix(value: unknown, option: string, where: string): string {
  if (typeof value === "string" && /^[A-Za-z0-9_.{}-]+$/.test(value)) return value;
  throw new InvalidOptionError(option, "letters, digits, _ . - { } (no colon or space)", value, where);
}
