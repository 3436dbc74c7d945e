import type { IncomingMessage, ServerResponse } from "node:http";
import { DashboardError } from "../../errors/DashboardError.js";
import type { DeadLetterFilter, DeadLetterRecord } from "../../store/DeadLetterRecord.js";
import type { Store } from "../../store/Store.js";
import type { ReplayHandler } from "../DashboardOptions.js";
import { readJson } from "../http/readJson.js";
import { sendJson } from "../http/respond.js";
import type { LiveRuns } from "../live/LiveRuns.js";
import type { RunSummary } from "../live/RunSummary.js";
import { deadLetterDetail, deadLetterRow, storeRunDetail, storeRunSummary } from "./storeViews.js";

/** What the API serves from. */
export interface ApiContext {
  readonly live: LiveRuns;
  readonly store: Store | undefined;
  readonly replay: ReplayHandler | undefined;
}

/** Dead letters per page, by default and at most. */
const pageDefault = 50;
const pageMax = 500;
/** Store runs the runs page searches. */
const storeRunsScanned = 1000;

/** Why a dashboard without a replay handler cannot replay: the page's tooltip and the API's error. */
const noReplay =
  "this dashboard has no job to replay with: start it with the job module that made the dead letters " +
  "(weir dashboard <job.ts> --db <file>), or give dashboard({ replay })";

/** True for the routes that change something: they need a POST with the CSRF header. */
export function isMutating(path: string): boolean {
  return /^\/api\/runs\/[^/]+\/stop$/.test(path) || /^\/api\/dead-letters\/(purge|replay)$/.test(path);
}

/** Serves `/api/...`; the request was checked (token, CSRF) already. */
export async function routeApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const parts = path.split("/").slice(2).map(decodeURIComponent); // ["runs", id, ...]
  if (req.method !== "GET" && !isMutating(path))
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", `${req.method} ${path}: only GET here`, { status: 405 });
  if (parts[0] === "info" && parts.length === 1)
    return sendJson(res, 200, {
      store: ctx.store?.location ?? null,
      replay: ctx.replay !== undefined,
      replayOff: ctx.replay === undefined ? noReplay : null,
    });
  if (parts[0] === "runs") {
    if (parts.length === 1) return sendJson(res, 200, await listRuns(ctx, url.searchParams));
    const id = parts[1]!;
    if (parts.length === 2) return sendJson(res, 200, await runDetail(ctx, id));
    if (parts.length === 3 && parts[2] === "events") return ctx.live.follow(liveRun(ctx, id).id, res);
    if (parts.length === 3 && parts[2] === "stop") {
      const body = await readJson(req);
      const watch = liveRun(ctx, id);
      watch.stop(body["cancel"] === true);
      return sendJson(res, 202, { id, stopping: true, cancel: body["cancel"] === true });
    }
  }
  if (parts[0] === "dead-letters") {
    const store = needStore(ctx, path);
    if (parts.length === 1) return sendJson(res, 200, await deadLetterPage(store, url.searchParams));
    if (parts[1] === "purge") return sendJson(res, 200, { purged: await purge(store, await readJson(req)) });
    if (parts[1] === "replay") return sendJson(res, 200, await replay(ctx, store, await readJson(req)));
    if (parts.length === 2) {
      const record = await store.deadLetters.get(positiveId(parts[1]!, "dead letter id"));
      if (record === undefined) throw new DashboardError("WEIR_DASHBOARD_NOT_FOUND", `no dead letter ${parts[1]}`);
      return sendJson(res, 200, deadLetterDetail(record));
    }
  }
  throw new DashboardError("WEIR_DASHBOARD_NOT_FOUND", `no such page: ${path}`);
}

async function listRuns(ctx: ApiContext, params: URLSearchParams): Promise<unknown> {
  const rows: RunSummary[] = ctx.live.list();
  if (ctx.store !== undefined)
    rows.push(...(await ctx.store.listRuns({ limit: storeRunsScanned })).map(storeRunSummary));
  const q = (params.get("q") ?? "").trim().toLowerCase();
  const state = params.get("state") ?? "";
  const kind = params.get("kind") ?? "";
  const since = params.get("since") ?? "";
  const from = since === "" ? undefined : Date.parse(since);
  const runs = rows.filter(
    (r) =>
      (q === "" || r.id.toLowerCase().includes(q) || r.name.toLowerCase().includes(q)) &&
      (state === "" || r.state === state) &&
      (kind === "" || r.kind === kind) &&
      (from === undefined || Number.isNaN(from) || r.startedAt >= from),
  );
  return { runs, store: ctx.store !== undefined, replay: ctx.replay !== undefined };
}

async function runDetail(ctx: ApiContext, id: string): Promise<unknown> {
  const watch = ctx.live.get(id);
  if (watch !== undefined) return watch.detail();
  const record = await ctx.store?.getRun(id);
  if (record === undefined) throw new DashboardError("WEIR_DASHBOARD_NOT_FOUND", `no run "${id}"`);
  return storeRunDetail(record);
}

function liveRun(ctx: ApiContext, id: string): { id: string; stop(cancel: boolean): void } {
  const watch = ctx.live.get(id);
  if (watch === undefined)
    throw new DashboardError("WEIR_DASHBOARD_UNSUPPORTED", `run "${id}" is not a live run of this process`);
  return { id, stop: (cancel) => watch.stop(cancel) };
}

function needStore(ctx: ApiContext, path: string): Store {
  if (ctx.store === undefined)
    throw new DashboardError("WEIR_DASHBOARD_UNSUPPORTED", `${path}: this dashboard was given no store`);
  return ctx.store;
}

function filterOf(source: { get(key: string): unknown }): DeadLetterFilter {
  const text = (key: string): string | undefined => {
    const v = source.get(key);
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  };
  const replayed = source.get("replayed");
  const since = text("since");
  const sinceMs = since === undefined ? undefined : /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs))
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", `since: expected a date or ms, received "${since}"`);
  const filter: Record<string, unknown> = {
    runId: text("runId"),
    runName: text("runName"),
    stage: text("stage"),
    code: text("code"),
    since: sinceMs,
    replayed:
      replayed === "true" || replayed === true ? true : replayed === "false" || replayed === false ? false : undefined,
  };
  for (const key of Object.keys(filter)) if (filter[key] === undefined) delete filter[key];
  return filter as DeadLetterFilter;
}

async function deadLetterPage(store: Store, params: URLSearchParams): Promise<unknown> {
  const filter = filterOf(params);
  const after = params.has("after") ? nonNegative(params.get("after")!, "after") : 0;
  const limit = Math.min(pageMax, params.has("limit") ? positiveId(params.get("limit")!, "limit") : pageDefault);
  const [page, total] = await Promise.all([
    store.deadLetters.list({ ...filter, after, limit }),
    store.deadLetters.count(filter),
  ]);
  return { records: page.records.map(deadLetterRow), next: page.next, total };
}

async function purge(store: Store, body: Record<string, unknown>): Promise<number> {
  if (body["ids"] !== undefined) return store.deadLetters.purge({ ids: idList(body["ids"]) });
  const filter = body["filter"];
  if (typeof filter !== "object" || filter === null || Array.isArray(filter))
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", "purge: give ids, or a filter ({} purges every one)");
  const given = filter as Record<string, unknown>;
  return store.deadLetters.purge(filterOf({ get: (k) => given[k] }));
}

async function replay(ctx: ApiContext, store: Store, body: Record<string, unknown>): Promise<unknown> {
  if (ctx.replay === undefined) throw new DashboardError("WEIR_DASHBOARD_UNSUPPORTED", `replay: ${noReplay}`);
  const ids = idList(body["ids"]);
  const edited = "item" in body;
  if (edited && ids.length !== 1)
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", "replay: an edited item goes with exactly one id");
  const letters: DeadLetterRecord[] = [];
  for (const id of ids) {
    const record = await store.deadLetters.get(id);
    if (record === undefined) throw new DashboardError("WEIR_DASHBOARD_NOT_FOUND", `no dead letter ${id}`);
    letters.push(edited ? { ...record, item: body["item"] } : record);
  }
  await ctx.replay(letters);
  const marked = await store.deadLetters.markReplayed(ids);
  return { replayed: marked, edited };
}

function idList(value: unknown): number[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => Number.isSafeInteger(v) && (v as number) > 0))
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", "ids: expected positive integers");
  return list as number[];
}

function positiveId(text: string, what: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", `${what}: expected a positive integer, received "${text}"`);
  return n;
}

function nonNegative(text: string, what: string): number {
  return text === "0" ? 0 : positiveId(text, what);
}
