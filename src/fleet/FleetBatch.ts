import type { Settle } from "../executor/Executor.js";
import { packBody, type RequestBody } from "./protocol/FleetWire.js";

/** One attempt at the origin, from `execute` until it settles. */
export class FleetAttempt {
  done = false;
  batch: FleetBatch | undefined = undefined;
  /** Its position in its batch. */
  k = 0;
  /** Durable runs: a digest of the item's content (with its index, what a resumed origin matches). */
  h = 0;
  /** Set while it waits for an entry a killed origin left in Redis (see AdoptedEntries). */
  adopted = false;

  constructor(
    readonly item: unknown,
    readonly index: number,
    readonly attempt: number,
    readonly signal: AbortSignal,
    readonly settle: Settle,
    readonly retryAfter: ((ms: number) => void) | undefined,
  ) {}
}

/** One request entry: attempts sent together, answered together (or item by item, once split). */
export class FleetBatch {
  /** The stream entry's id, once XADD answered. */
  entryId: string | undefined = undefined;
  /** Attempts of the batch not settled yet. */
  open: number;
  /**
   * Sent again under its id (Redis lost the run): a copy of its entry may still be in Redis, so
   * its done record stays until the run ends (a copy answered later finds its items answered).
   */
  resent = false;

  constructor(
    readonly id: number,
    readonly attempts: FleetAttempt[],
  ) {
    this.open = attempts.length;
    for (let k = 0; k < attempts.length; k++) {
      attempts[k]!.batch = this;
      attempts[k]!.k = k;
    }
  }
}

/** What every request body of a stage and run shares. */
export interface RequestHeader {
  readonly run: string;
  readonly stage: string;
  readonly timeoutMs: number | undefined;
  readonly resultKind: number;
  /** Durable runs: the key prefix (`<runId>/`); the bodies then carry it and item digests. */
  readonly keyPrefix?: string | undefined;
  /** Durable runs: the key of an item (a flatMap child's id has one of its own: sent as `KL`). */
  readonly keyOf?: ((index: number) => string) | undefined;
}

/**
 * The request body of batch `id` holding `attempts`, packed. Indexes travel as the first one when
 * they are consecutive, attempts as 1 when all are first attempts. Throws the encoder's error
 * when an item cannot be packed.
 */
export function packRequest(header: RequestHeader, id: number, attempts: readonly FleetAttempt[]): Buffer {
  const items: unknown[] = [];
  const indexes: number[] = [];
  const tries: number[] = [];
  let consecutive = true;
  let firstAttempts = true;
  for (const a of attempts) {
    if (consecutive && indexes.length > 0 && a.index !== indexes[indexes.length - 1]! + 1) consecutive = false;
    if (a.attempt !== 1) firstAttempts = false;
    items.push(a.item);
    indexes.push(a.index);
    tries.push(a.attempt);
  }
  const body: RequestBody = {
    r: header.run,
    b: id,
    f: 0,
    s: header.stage,
    x: items,
    i: consecutive ? (indexes[0] ?? 0) : indexes,
    a: firstAttempts ? 1 : tries,
    t: header.timeoutMs ?? null,
    p: 0,
    k: header.resultKind,
    ...(header.keyPrefix === undefined ? {} : { K: header.keyPrefix, h: attempts.map((a) => a.h) }),
    // a keyed run's flatMap children travel under ids that are not source indexes: their keys go along
    ...(header.keyOf !== undefined && attempts.some((a) => a.index % 1 !== 0)
      ? { KL: attempts.map((a) => header.keyOf!(a.index)) }
      : {}),
  };
  return packBody(body);
}
