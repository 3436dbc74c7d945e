import { createHash } from "../load/onFirstUse.js";

/**
 * One named part of a run's shape: a pipeline stage or a workflow task, with a fingerprint of
 * whatever changes its results (its kind, the options that matter, its function's source). The
 * runner that owns the shape decides what goes into the fingerprint; the store only compares.
 */
export interface PlanPart {
  /** The stage's or task's name, unique within the run. */
  readonly name: string;
  /** A digest of what changes the part's results; equal fingerprints mean "unchanged". */
  readonly fingerprint: string;
}

/** A run's shape: its parts in order (pipelines: source to sink; workflows: declaration order). */
export type PlanShape = readonly PlanPart[];

/** A stable digest of a shape: the same parts in the same order give the same hash. */
export function planHash(shape: PlanShape): string {
  const hash = createHash("sha256");
  for (const part of shape)
    hash.update(`${part.name.length}:${part.name}${part.fingerprint.length}:${part.fingerprint}`);
  return hash.digest("hex").slice(0, 32);
}

/**
 * What changed from `before` to `after`, one line per difference, in words: parts removed, added,
 * changed, and whether the surviving parts kept their order. Empty when the shapes are equal.
 */
export function planChanges(before: PlanShape, after: PlanShape): string[] {
  const old = new Map(before.map((p) => [p.name, p.fingerprint]));
  const now = new Map(after.map((p) => [p.name, p.fingerprint]));
  const changes: string[] = [];
  for (const part of before) if (!now.has(part.name)) changes.push(`"${part.name}" removed`);
  for (const part of after) {
    const was = old.get(part.name);
    if (was === undefined) changes.push(`"${part.name}" added`);
    else if (was !== part.fingerprint) changes.push(`"${part.name}" changed`);
  }
  const kept = (shape: PlanShape, other: Map<string, string>): string[] =>
    shape.filter((p) => other.has(p.name)).map((p) => p.name);
  const oldOrder = kept(before, now);
  const newOrder = kept(after, old);
  if (oldOrder.join("\0") !== newOrder.join("\0")) {
    changes.push(
      `order changed: ${oldOrder.map((n) => `"${n}"`).join(" → ")} became ${newOrder.map((n) => `"${n}"`).join(" → ")}`,
    );
  }
  return changes;
}
