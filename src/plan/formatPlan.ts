import type { ExecutionPlan } from "./ExecutionPlan.js";
import type { FusedLoop } from "./fusedLoop.js";

const LOOP_WORDS: Record<FusedLoop, string> = {
  generated: "one function generated for the inline stages",
  interpreted: "a plain loop over the inline stages: this host forbids code generation from strings",
};

/**
 * Renders a plan for people: one block per step, its fused stages, its channel, and the reason
 * for every placement. `weir plan <file>` prints this.
 */
export function formatPlan(plan: ExecutionPlan): string {
  const lines: string[] = [
    `pipeline "${plan.pipeline}": ${plan.steps.length} step${plan.steps.length === 1 ? "" : "s"}`,
  ];
  for (const step of plan.steps) {
    const input =
      step.input === null
        ? ""
        : ` <- channel(${step.input.baseCapacity === step.input.capacity ? step.input.capacity : `${step.input.baseCapacity}–${step.input.capacity}`}, ${step.input.queue}${step.input.overflow === "block" ? "" : `, ${step.input.overflow}`}) from step ${step.input.from.join(", ")}`;
    const pool = step.pool;
    const conc =
      pool !== null
        ? `, concurrency ${step.concurrency}: ${pool.workers} worker${pool.workers === 1 ? "" : "s"} × ${pool.perWorker} item${pool.perWorker === 1 ? "" : "s"} at once, window ≤ ${pool.window}`
        : step.headKind === "stage"
          ? `, concurrency ${step.concurrency}`
          : "";
    lines.push("", `step ${step.id} [${step.context}${conc}]${input}`);
    const members = [step.head, ...step.fused];
    for (const name of members) {
      const stage = plan.stages.find((s) => s.name === name)!;
      lines.push(`  ${stage.fused ? "+" : "*"} ${stage.kind.padEnd(7)} ${name.padEnd(20)} ${stage.reason}`);
    }
    if (step.fusedLoop !== null) lines.push(`  loop: ${step.fusedLoop} (${LOOP_WORDS[step.fusedLoop]})`);
    // what still costs a step per item on a pool stage's batch settle and submit paths
    if (pool !== null && pool.perItem.length > 0) lines.push(`  per item: ${pool.perItem.join("; ")}`);
    const route = step.output.route === null ? "" : ` by route "${step.output.route}"`;
    lines.push(step.output.to.length === 0 ? "  -> (end)" : `  -> step ${step.output.to.join(", ")}${route}`);
  }
  const groups = new Map<string, string[]>();
  for (const stage of plan.stages) {
    if (stage.group === null || stage.group === undefined) continue;
    const members = groups.get(stage.group) ?? [];
    members.push(`${stage.name.slice(stage.group.length + 1)} (step ${stage.step})`);
    groups.set(stage.group, members);
  }
  if (groups.size > 0) {
    lines.push("", "fragments:");
    for (const [group, members] of groups) lines.push(`  ${group}: ${members.join(", ")}`);
  }
  lines.push("", "* heads a step   + fused into the step (no channel, no per-item promise)");
  return lines.join("\n");
}
