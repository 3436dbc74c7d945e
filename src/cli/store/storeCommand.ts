import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DeadLetterFilter, DeadLetterRecord } from "../../store/DeadLetterRecord.js";
import { replayDeadLetters } from "../../replay/replayDeadLetters.js";
import type { RunRecord } from "../../store/RunRecord.js";
import type { StoredError } from "../../store/StoredError.js";
import type { Store } from "../../store/Store.js";
import { loadRunnable } from "../loadRunnable.js";
import type { CliIo } from "../stdoutToStderr.js";
import type { DlqFilterArgs, StoreCommand } from "./parseStoreCommand.js";

/** The store file: `--db`, else `$WEIR_DB`, else `.weir/weir.db` under the working directory. */
export function storeFile(db: string | undefined): string {
  return resolve(db ?? process.env.WEIR_DB ?? join(process.cwd(), ".weir", "weir.db"));
}

/**
 * Runs `weir runs …` / `weir dlq …` against the SQLite store; resolves with the exit code (0 done,
 * 1 not found or the store failed). A store file that does not exist is not created: listing
 * commands print nothing found, the others fail.
 */
export async function storeCommand(command: StoreCommand, io: CliIo): Promise<number> {
  const path = storeFile(command.db);
  const listing = command.kind === "runs" || command.kind === "dlq-ls";
  if (!existsSync(path)) {
    if (listing) {
      io.out.write(command.json ? "[]\n" : `no store at ${path}\n`);
      return 0;
    }
    io.err.write(`no store at ${path} (pass --db <file> or set WEIR_DB)\n`);
    return 1;
  }
  // loaded only here: the rest of the CLI never loads the native module
  const { sqliteStore } = await import("../../sqlite.js");
  const store = sqliteStore({ path });
  try {
    return await dispatch(store, command, io);
  } finally {
    await store.close();
  }
}

async function dispatch(store: Store, command: StoreCommand, io: CliIo): Promise<number> {
  const out = (value: unknown): void => void io.out.write(`${JSON.stringify(value, null, 2)}\n`);
  switch (command.kind) {
    case "runs": {
      const runs = await store.listRuns({ limit: command.limit });
      if (command.json) out(runs.map(runJson));
      else io.out.write(runsTable(runs));
      return 0;
    }
    case "runs-show": {
      const run = await store.getRun(command.id);
      if (run === undefined) {
        io.err.write(`no run "${command.id}" in ${store.location}\n`);
        return 1;
      }
      if (command.json) out(runJson(run));
      else io.out.write(runDetails(run));
      return 0;
    }
    case "dlq-ls": {
      const page = await store.deadLetters.list({
        ...storeFilter(command.filter),
        ...(command.replayed ? {} : { replayed: false }),
        limit: command.limit,
      });
      if (command.json) out(page.records.map(letterJson));
      else io.out.write(lettersTable(page.records, page.next !== undefined));
      return 0;
    }
    case "dlq-show": {
      const letter = await store.deadLetters.get(command.id);
      if (letter === undefined) {
        io.err.write(`no dead letter ${command.id} in ${store.location}\n`);
        return 1;
      }
      if (command.json) out(letterJson(letter));
      else io.out.write(letterDetails(letter));
      return 0;
    }
    case "dlq-purge": {
      const purged = await store.deadLetters.purge(
        command.ids.length > 0
          ? { ids: command.ids }
          : { ...storeFilter(command.filter), ...(command.replayed ? { replayed: true } : {}) },
      );
      if (command.json) out({ purged });
      else io.out.write(`purged ${purged} dead letter${purged === 1 ? "" : "s"}\n`);
      return 0;
    }
    case "dlq-replay": {
      const target = await loadRunnable(command.file);
      const edited =
        command.edit === undefined ? undefined : (JSON.parse(readFileSync(command.edit, "utf8")) as unknown);
      const { runKind: _k, runName: _n, ...filter } = storeFilter(command.filter);
      const report = await replayDeadLetters(target, {
        store,
        ...(command.ids.length > 0 ? { ids: command.ids } : filter),
        ...(edited === undefined ? {} : { edit: () => edited }),
      });
      if (command.json) out(report);
      else
        io.out.write(
          `replayed ${report.replayed}: ${report.succeeded} went through, ${report.failedAgain} failed again` +
            `${report.unstored > 0 ? ` (${report.unstored} not stored)` : ""}` +
            `${report.runIds.length > 0 ? `; runs ${report.runIds.join(", ")}` : ""}\n`,
        );
      return report.failedAgain > 0 ? 1 : 0;
    }
  }
}

function storeFilter(f: DlqFilterArgs): DeadLetterFilter {
  return {
    ...(f.pipeline === undefined ? {} : { runKind: "pipeline" as const, runName: f.pipeline }),
    ...(f.workflow === undefined ? {} : { runKind: "workflow" as const, runName: f.workflow }),
    ...(f.run === undefined ? {} : { runId: f.run }),
    ...(f.stage === undefined ? {} : { stage: f.stage }),
    ...(f.code === undefined ? {} : { code: f.code }),
    ...(f.since === undefined ? {} : { since: f.since }),
  };
}

/** What `weir runs` shows as the state: a running run whose owner is gone is "interrupted". */
function stateOf(run: RunRecord): string {
  return run.state === "running" && !run.live ? "interrupted" : run.state;
}

function progressOf(run: RunRecord): string {
  const { done, total, deadLetters } = run.progress;
  return `${done}${total === undefined ? "" : `/${total}`}${deadLetters > 0 ? ` (${deadLetters} dl)` : ""}`;
}

const time = (ms: number | undefined): string => (ms === undefined ? "-" : new Date(ms).toISOString());

function runJson(run: RunRecord): Record<string, unknown> {
  return {
    id: run.id,
    kind: run.kind,
    name: run.name,
    state: stateOf(run),
    live: run.live,
    progress: run.progress,
    startedAt: time(run.startedAt),
    endedAt: run.endedAt === undefined ? null : time(run.endedAt),
    owner: run.owner ?? null,
    epoch: run.epoch,
    planHash: run.planHash,
    plan: run.plan,
    inputs: run.inputs ?? null,
    error: run.error ?? null,
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

function runsTable(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return "no runs\n";
  return table([
    ["ID", "KIND", "NAME", "STATE", "PROGRESS", "STARTED", "ENDED"],
    ...runs.map((r) => [r.id, r.kind, r.name, stateOf(r), progressOf(r), time(r.startedAt), time(r.endedAt)]),
  ]);
}

function runDetails(run: RunRecord): string {
  const lines = [
    `run ${run.id}`,
    `  ${run.kind} "${run.name}"`,
    `  state     ${stateOf(run)}${run.live && run.owner !== undefined ? ` (pid ${run.owner.pid} on ${run.owner.host})` : ""}`,
    `  progress  ${progressOf(run)}`,
    `  started   ${time(run.startedAt)}`,
    `  ended     ${time(run.endedAt)}`,
    `  epoch     ${run.epoch}`,
    `  plan      ${run.planHash}: ${run.plan.map((p) => p.name).join(", ")}`,
  ];
  if (run.inputs !== undefined) lines.push(`  inputs    ${preview(run.inputs, 200)}`);
  if (run.error !== undefined) lines.push(`  error     ${errorLine(run.error)}`);
  if (stateOf(run) === "interrupted")
    lines.push(
      `  resume it with run({ store, resume: "${run.id}" })${run.kind === "pipeline" ? ` or weir resume ${run.id}` : ""}`,
    );
  return `${lines.join("\n")}\n`;
}

function errorLine(e: StoredError): string {
  return `${e.name}${e.code === undefined ? "" : ` [${e.code}]`}: ${e.message}`;
}

function letterJson(l: DeadLetterRecord): Record<string, unknown> {
  return {
    ...l,
    firstFailedAt: time(l.firstFailedAt),
    lastFailedAt: time(l.lastFailedAt),
    replayedAt: l.replayedAt === undefined ? null : time(l.replayedAt),
    index: l.index ?? null,
  };
}

function preview(value: unknown, max = 40): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function lettersTable(letters: readonly DeadLetterRecord[], more: boolean): string {
  if (letters.length === 0) return "no dead letters\n";
  return (
    table([
      ["ID", "RUN", "NAME", "STAGE", "CODE", "ATTEMPTS", "LAST FAILURE", "ITEM"],
      ...letters.map((l) => [
        String(l.id),
        l.runId,
        l.runName,
        l.stage,
        l.error.code ?? l.error.name,
        String(l.attempts),
        time(l.lastFailedAt),
        preview(l.item),
      ]),
    ]) + (more ? "… more: narrow the filters or raise --limit\n" : "")
  );
}

function letterDetails(l: DeadLetterRecord): string {
  const lines = [
    `dead letter ${l.id}`,
    `  ${l.runKind} "${l.runName}", run ${l.runId}`,
    `  ${l.runKind === "pipeline" ? "stage" : "task"}     ${l.stage}`,
    `  key       ${l.key}${l.index === undefined ? "" : ` (source index ${l.index})`}`,
    `  attempts  ${l.attempts}, first failed ${time(l.firstFailedAt)}, last ${time(l.lastFailedAt)}`,
    `  replayed  ${l.replayedAt === undefined ? "no" : time(l.replayedAt)}`,
    `  item      ${JSON.stringify(l.item, null, 2)?.replace(/\n/g, "\n            ") ?? String(l.item)}`,
    `  error     ${errorLine(l.error)}`,
  ];
  if (l.error.stack !== undefined)
    lines.push(`            ${l.error.stack.split("\n").slice(1).join("\n            ")}`);
  for (const cause of l.error.causes) lines.push(`  cause     ${errorLine(cause)}`);
  return `${lines.join("\n")}\n`;
}
