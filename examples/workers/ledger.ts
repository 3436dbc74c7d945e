/**
 * The worker side of examples/fan-in.ts: each worker thread sets up its signing key once
 * (`setup`, from the pool's `workerData`), signs entries with it (`sign`), and on a graceful end
 * (`teardown`: the run ended, the pool recycled or idled it) logs how many it signed.
 */
import { createHmac, type Hmac } from "node:crypto";
import { appendFileSync } from "node:fs";
import { threadId } from "node:worker_threads";
import type { PoolStageContext, WorkerSetupInfo, WorkerTeardownInfo } from "weir";

/** What the pipeline passes every worker. */
export interface LedgerConfig {
  /** The signing secret. */
  readonly secret: string;
  /** A file each worker's teardown appends a line to. */
  readonly log: string;
}

/** An entry as the pipeline hands it to `sign`. */
export interface Entry {
  readonly kind: "order" | "refund";
  readonly id: string;
  readonly cents: number;
  readonly currency: string;
}

/** What a worker keeps between calls (`ctx.local`). */
interface Local {
  readonly worker: number;
  readonly secret: string;
  signed: number;
}

/** Once per worker, before its first entry. */
export function setup({ workerData }: WorkerSetupInfo<LedgerConfig>): Local {
  return { worker: threadId, secret: workerData.secret, signed: 0 };
}

/** Signs one entry with the worker's key. */
export function sign(entry: Entry, ctx: PoolStageContext<Local, LedgerConfig>): Entry & { sig: string } {
  const hmac: Hmac = createHmac("sha256", ctx.local.secret);
  ctx.local.signed++;
  return { ...entry, sig: hmac.update(`${entry.kind}:${entry.id}:${entry.cents}:${entry.currency}`).digest("hex") };
}

/** When the worker ends gracefully (not on a crash). */
export function teardown({ local, workerData, reason }: WorkerTeardownInfo<Local, LedgerConfig>): void {
  appendFileSync(workerData.log, `teardown worker=${local.worker} reason=${reason} signed=${local.signed}\n`);
}
