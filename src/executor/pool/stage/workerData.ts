import { createHash, newPackr, serialize } from "../../../load/onFirstUse.js";
import { InvalidOptionError } from "../../../errors/InvalidOptionError.js";
import { FrameTooLargeError } from "../wire/FrameTooLargeError.js";
import { packrOptions } from "../wire/packrOptions.js";
import type { PoolSettings } from "./PoolOptions.js";

/**
 * The `workerData` pool option, copied by structured clone (so later changes to the caller's
 * object change nothing); refused when structured clone cannot copy it.
 */
export function workerDataCopy(value: unknown, where: string | undefined): unknown {
  try {
    return structuredClone(value);
  } catch (error) {
    throw new InvalidOptionError(
      "pool.workerData",
      `data structured clone can copy (no functions or symbols): ${error instanceof Error ? error.message : String(error)}`,
      value,
      where,
    );
  }
}

/**
 * Checks that the settings' `workerData` can cross to a child process on the pool's wire (msgpack
 * refuses cycles; both wires refuse more than `maxFrameBytes`).
 */
export function checkProcessWorkerData(s: PoolSettings, where: string): void {
  if (s.workerData === undefined) return;
  try {
    // as the pipe's own check would (PackedPipe.check), without loading the pool's wire code now
    const message = { t: 0, d: s.workerData };
    const bytes = (s.wire === "ipc" ? serialize(message) : newPackr(packrOptions()).pack(message)).length;
    if (bytes > s.maxFrameBytes) throw new FrameTooLargeError(bytes, s.maxFrameBytes);
  } catch (error) {
    throw new InvalidOptionError(
      "pool.workerData",
      `data the "${s.wire}" wire can carry to a child process within maxFrameBytes: ${error instanceof Error ? error.message : String(error)}`,
      s.workerData,
      where,
    );
  }
}

/** A key of the data (a hash of its V8 serialization): stages with equal data share a pool. */
export function workerDataKey(value: unknown): string {
  if (value === undefined) return "";
  return createHash("sha256").update(serialize(value)).digest("base64url");
}
