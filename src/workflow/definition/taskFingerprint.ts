import { createHash } from "../../load/onFirstUse.js";
import type { PoolStage } from "../../executor/pool/stage/PoolStage.js";

/**
 * A digest of what changes a task's result: its function's source (or, for a pool task, its
 * module and export), its dependencies, its context and its failure policy. What only changes
 * speed or resilience (priority, retry, timeout, admission) is left out. Equal fingerprints mean
 * "unchanged": a durable resume, and `reuse`, refuse a stored result whose task's fingerprint
 * differs (`WEIR_PLAN_CHANGED`).
 */
export function taskFingerprint(
  fn: unknown,
  remote: PoolStage<unknown, unknown> | undefined,
  after: readonly string[],
  context: string,
  onFailure: string,
): string {
  const code =
    remote !== undefined
      ? `pool:${remote.context}:${remote.moduleUrl}#${remote.exportName}`
      : typeof fn === "function"
        ? fn.toString()
        : "";
  const hash = createHash("sha256");
  hash.update(`${code.length}:${code}`);
  hash.update(`|after:${JSON.stringify(after)}|context:${context}|onFailure:${onFailure}`);
  return hash.digest("hex").slice(0, 16);
}
