import type { Group } from "./Executor.js";

/** Source index of item `k` of `group`: `index + k`, or its own where the group lists them. */
export function groupIndexAt(group: Pick<Group, "index" | "indices">, k: number): number {
  return group.indices === undefined ? group.index + k : group.indices[k]!;
}
