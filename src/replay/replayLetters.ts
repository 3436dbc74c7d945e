import { giveItemKeys } from "../executor/ItemKeys.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { func, plainObject, positiveInt } from "../options/validate.js";
import { handleGraph } from "../pipeline/handleGraph.js";
import { replayGraph } from "../pipeline/replayGraph.js";
import { Stream } from "../pipeline/Stream.js";
import type { Workflow } from "../workflow/Workflow.js";
import type { DeadLetterRecord } from "../store/DeadLetterRecord.js";
import type { ReplayOptions, ReplayReport } from "./replayDeadLetters.js";
import { persistDeadLetter } from "../store/persistDeadLetter.js";
import type { Store } from "../store/Store.js";

/** What {@link replayDeadLetters} does (src/replay/replayDeadLetters.ts): it runs in the pipeline engine. */
export async function replay(
  target: { readonly name: string } | Workflow<never>,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const where = "replayDeadLetters";
  const o = plainObject(options, "options", where);
  const store = o["store"] as Store | undefined;
  if (typeof store !== "object" || store === null || typeof store.createRun !== "function") {
    throw new InvalidOptionError("store", "a Store", store, where);
  }
  if (o["edit"] !== undefined) func(o["edit"], "edit", where);
  const isWorkflow = isWorkflowLike(target);
  const graph = isWorkflow ? undefined : handleGraph(target);
  if (!isWorkflow && graph === undefined) {
    throw new InvalidOptionError("target", "a pipeline handle or a workflow", target, where);
  }
  const letters = await select(store, target.name, isWorkflow ? "workflow" : "pipeline", options);
  if (letters.length === 0) return { replayed: 0, succeeded: 0, failedAgain: 0, runIds: [], unstored: 0 };
  return isWorkflow
    ? replayWorkflow(target as Workflow<never>, store, letters)
    : replayPipeline(graph!, store, letters, options);
}

async function select(
  store: Store,
  name: string,
  kind: "pipeline" | "workflow",
  options: ReplayOptions,
): Promise<DeadLetterRecord[]> {
  const { store: _s, ids, edit: _e, run: _r, ...filter } = options;
  if (ids !== undefined) {
    if (!Array.isArray(ids))
      throw new InvalidOptionError("ids", "an array of dead-letter ids", ids, "replayDeadLetters");
    const found: DeadLetterRecord[] = [];
    for (const [k, id] of ids.entries()) {
      const letter = await store.deadLetters.get(positiveInt(id, `ids[${k}]`, "replayDeadLetters"));
      if (letter === undefined || letter.runKind !== kind || letter.runName !== name) {
        const what =
          letter === undefined ? "no such dead letter" : `it belongs to ${letter.runKind} "${letter.runName}"`;
        throw new InvalidOptionError(
          `ids[${k}]`,
          `a dead letter of ${kind} "${name}" (${what})`,
          id,
          "replayDeadLetters",
        );
      }
      found.push(letter);
    }
    return found;
  }
  const all: DeadLetterRecord[] = [];
  let after: number | undefined = 0;
  while (after !== undefined) {
    const page = await store.deadLetters.list({
      ...filter,
      runKind: kind,
      runName: name,
      replayed: false,
      after,
      limit: 1000,
    });
    all.push(...page.records);
    after = page.next;
  }
  return all;
}

async function replayPipeline(
  graph: NonNullable<ReturnType<typeof handleGraph>>,
  store: Store,
  letters: readonly DeadLetterRecord[],
  options: ReplayOptions,
): Promise<ReplayReport> {
  const byStage = new Map<string, DeadLetterRecord[]>();
  for (const letter of letters) {
    const list = byStage.get(letter.stage) ?? [];
    list.push(letter);
    byStage.set(letter.stage, list);
  }
  let failedAgain = 0;
  let unstored = 0;
  const runIds: string[] = [];
  for (const [stage, group] of byStage) {
    const items = group.map((letter) => (options.edit === undefined ? letter.item : options.edit(letter.item, letter)));
    const { graph: part, last } = replayGraph(graph, stage, items);
    const handle = await store.createRun({
      kind: "pipeline",
      name: graph.name,
      plan: [{ name: `replay:${stage}`, fingerprint: "replay" }],
      total: group.length,
    });
    runIds.push(handle.id);
    const failed = new Set<number>();
    // each item keeps its original key (`ctx.key`) through the stages it runs again
    const runOptions = { ...options.run };
    giveItemKeys(runOptions, { prefix: "", listed: group.map((l) => l.key) });
    const run = new Stream(part, last).run(runOptions);
    run.on("stage:dead-letter", (d) => {
      failed.add(d.index);
      const original = group[d.index]!;
      const at = Date.now();
      const outcome = persistDeadLetter(handle, {
        // an item a replayed flatMap made has a key of its own (the original's and its position)
        key: d.key ?? original.key,
        stage: d.stage,
        ...(original.index === undefined ? {} : { index: original.index }),
        item: d.item,
        error: d.error,
        attempts: d.attempts,
        firstFailedAt: at,
        lastFailedAt: at,
      });
      if (!outcome.stored) unstored++;
    });
    try {
      await run;
    } catch (error) {
      await handle.finish("failed", error).catch(() => {});
      throw error;
    }
    await handle.finish("completed");
    await store.deadLetters.markReplayed(group.map((l) => l.id));
    failedAgain += failed.size;
  }
  return { replayed: letters.length, succeeded: letters.length - failedAgain, failedAgain, runIds, unstored };
}

async function replayWorkflow(
  wf: Workflow<never>,
  store: Store,
  letters: readonly DeadLetterRecord[],
): Promise<ReplayReport> {
  const runIds = [...new Set(letters.map((l) => l.runId))];
  let succeeded = 0;
  for (const runId of runIds) {
    const result = await wf.run({ store, resume: runId });
    if (result.error !== undefined && (result.error as { code?: unknown }).code === "WEIR_PLAN_CHANGED") {
      throw result.error;
    }
    const mine = letters.filter((l) => l.runId === runId);
    const tasks = result.tasks as Readonly<Record<string, { readonly status: string } | undefined>>;
    succeeded += mine.filter((l) => tasks[l.stage]?.status === "completed").length;
    await store.deadLetters.markReplayed(mine.map((l) => l.id));
  }
  return { replayed: letters.length, succeeded, failedAgain: letters.length - succeeded, runIds, unstored: 0 };
}

/** A workflow of this copy of weir or another (a job importing the built package): by its shape. */
function isWorkflowLike(value: unknown): value is Workflow<never> {
  const w = value as Partial<Workflow<never>> | null;
  return (
    typeof w === "object" &&
    w !== null &&
    Array.isArray(w.taskNames) &&
    typeof w.run === "function" &&
    typeof w.tasks === "function"
  );
}
