import type { Redis } from "ioredis";

/**
 * The Lua scripts that make a worker's writes fenced: each one first checks, for every entry it
 * touches, that the entry is still pending for this worker in the consumer group (`XPENDING`),
 * and does nothing to an entry another worker has claimed since (its lease ran out) or that is
 * gone. A script runs atomically, so a late worker and the worker that claimed its entries can
 * never both answer: the one whose script runs first wins, the other learns it was fenced off.
 */

/**
 * Acks, deletes and answers entries: one reply per entry, to its run's reply stream while the
 * run's liveness key lives, the stream expiring with the key (so nothing outlives an origin that
 * died). Answer once: the items an entry answers are recorded in the run's done hash (one field
 * per batch, its answered positions as `first,count;` ranges, expiring with the run), and an
 * entry whose items were all answered already (a copy of it answered first) is acked and deleted
 * with no reply; one with only some of them is left alone and returned with those positions, for
 * the worker to answer the rest (so no item ever gets a second answer).
 *
 * KEYS: the request stream, then per run its reply stream, liveness key and done hash.
 * ARGV: group, consumer, then per entry: id, run (1-based), batch, first position, items,
 * mask (one '1' or '0' per item: answered here or not; empty: all), payload (empty: no answer).
 * Returns { fenced ids, [id, "*" or "k,k,…", …] entries answered before (wholly or in part) }.
 */
const COMPLETE = `
local q, g, me = KEYS[1], ARGV[1], ARGV[2]
local fenced, before = {}, {}
for i = 3, #ARGV, 7 do
  local id, r, b, f, n, mask, payload = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), ARGV[i + 5], ARGV[i + 6]
  local p = redis.call('XPENDING', q, g, id, id, 1)
  if p[1] == nil or p[1][2] ~= me then
    fenced[#fenced + 1] = id
  elseif payload == '' then
    redis.call('XACK', q, g, id)
    redis.call('XDEL', q, id)
  else
    local replies, runKey, done = KEYS[r * 3 - 1], KEYS[r * 3], KEYS[r * 3 + 1]
    local recorded = redis.call('HGET', done, b)
    local again, answering = {}, n
    if mask ~= '' then
      answering = 0
      for k = 1, n do if string.byte(mask, k) == 49 then answering = answering + 1 end end
    end
    if recorded then
      for k = 0, n - 1 do
        if mask == '' or string.byte(mask, k + 1) == 49 then
          local pos = f + k
          for s, c in string.gmatch(recorded, '(%d+),(%d+);') do
            s = tonumber(s)
            if pos >= s and pos < s + tonumber(c) then again[#again + 1] = k break end
          end
        end
      end
    end
    if #again == 0 then
      redis.call('XACK', q, g, id)
      redis.call('XDEL', q, id)
      local ttl = redis.call('PTTL', runKey)
      if ttl > 0 then
        redis.call('XADD', replies, '*', 'm', payload)
        redis.call('PEXPIRE', replies, ttl)
        local add = {}
        if mask == '' then add[1] = f .. ',' .. n .. ';'
        else
          local k = 1
          while k <= n do
            if string.byte(mask, k) == 49 then
              local s = k
              while k <= n and string.byte(mask, k) == 49 do k = k + 1 end
              add[#add + 1] = (f + s - 1) .. ',' .. (k - s) .. ';'
            else k = k + 1 end
          end
        end
        redis.call('HSET', done, b, (recorded or '') .. table.concat(add))
        redis.call('PEXPIRE', done, ttl)
      end
    elseif #again == answering then
      redis.call('XACK', q, g, id)
      redis.call('XDEL', q, id)
      before[#before + 1] = id
      before[#before + 1] = '*'
    else
      before[#before + 1] = id
      before[#before + 1] = table.concat(again, ',')
    end
  end
end
return { fenced, before }`;

/** Renews the lease of entries this worker still holds (resets their idle time, not their delivery count). */
const EXTEND = `
local q, g, me = KEYS[1], ARGV[1], ARGV[2]
local lost = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', q, g, id, id, 1)
  if p[1] ~= nil and p[1][2] == me then
    redis.call('XCLAIM', q, g, me, 0, id, 'JUSTID')
  else
    lost[#lost + 1] = id
  end
end
return lost`;

/**
 * Puts entries back for any worker: each is acked, deleted and added again, as it was (count 0)
 * or as the given bodies (a batch split into one entry per item). The new entries are delivered
 * afresh, at once, to whichever worker reads next.
 */
const REQUEUE = `
local q, g, me = KEYS[1], ARGV[1], ARGV[2]
local fenced = {}
local i = 3
while i <= #ARGV do
  local id, n = ARGV[i], tonumber(ARGV[i + 1])
  local p = redis.call('XPENDING', q, g, id, id, 1)
  if p[1] ~= nil and p[1][2] == me then
    local copy = nil
    if n == 0 then
      local e = redis.call('XRANGE', q, id, id)
      if e[1] ~= nil then copy = e[1][2] end
    end
    redis.call('XACK', q, g, id)
    redis.call('XDEL', q, id)
    if copy ~= nil then redis.call('XADD', q, '*', unpack(copy)) end
    for j = 1, n do redis.call('XADD', q, '*', 'm', ARGV[i + 1 + j]) end
  else
    fenced[#fenced + 1] = id
  end
  i = i + 2 + n
end
return fenced`;

/**
 * Claims entries idle for longer than the lease (their worker died or stalled) with XAUTOCLAIM,
 * and returns each with its delivery count and the worker that held it before.
 */
const CLAIM = `
local q, g, me, idle, count = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local before = {}
local stale = redis.call('XPENDING', q, g, 'IDLE', idle, '-', '+', count)
for _, p in ipairs(stale) do before[p[1]] = p[2] end
local claimed = redis.call('XAUTOCLAIM', q, g, me, idle, '0-0', 'COUNT', count)
local out = {}
for _, e in ipairs(claimed[2]) do
  local p = redis.call('XPENDING', q, g, e[1], e[1], 1)
  local deliveries = 1
  if p[1] ~= nil then deliveries = p[1][4] end
  out[#out + 1] = { e[1], e[2], deliveries, before[e[1]] or '' }
end
return out`;

const scripts = { weirComplete: COMPLETE, weirExtend: EXTEND, weirRequeue: REQUEUE, weirClaim: CLAIM } as const;

type Arg = string | Buffer | number;
type ScriptCall = (numKeys: number, ...args: Arg[]) => Promise<unknown>;

/** Defines the scripts on a client (ioredis sends them by SHA, loading them when Redis lacks them). */
export function defineFleetScripts(client: Redis): void {
  for (const [name, lua] of Object.entries(scripts)) {
    if (typeof (client as unknown as Record<string, unknown>)[name] !== "function") client.defineCommand(name, { lua });
  }
}

function call(client: Redis, name: string): ScriptCall {
  const fn = (client as unknown as Record<string, ScriptCall>)[name];
  if (fn === undefined) throw new Error(`fleet script ${name} is not defined on this client`);
  return fn.bind(client);
}

/** One completed entry for {@link completeEntries}. */
export interface Completion {
  readonly id: string;
  /** Index into `runs` (0-based) of the entry's run. */
  readonly run: number;
  /** The entry's batch id and the batch position of its first item (what the done hash records). */
  readonly batch: number;
  readonly first: number;
  /** Its items. */
  readonly size: number;
  /** One '1' (answered here) or '0' (answered before: not in the payload) per item; empty: all answered here. */
  readonly mask: string;
  /** The reply body, or an empty buffer to ack and drop the entry without answering. */
  readonly payload: Buffer;
}

/** What {@link completeEntries} could not do as asked. */
export interface CompletionOutcome {
  /** Entries `me` no longer holds (another worker took them over): left alone. */
  readonly fenced: string[];
  /**
   * Entries with items answered before (a copy of the entry was answered first): `"all"`, acked
   * and deleted with no reply; or the positions (in the entry) answered before, the entry left
   * alone for the caller to answer again without them.
   */
  readonly answeredBefore: ReadonlyArray<{ readonly id: string; readonly positions: "all" | number[] }>;
}

/**
 * Acks, deletes and answers entries of stream `q` held by `me`, each item at most once per run
 * (see the script above).
 */
export async function completeEntries(
  client: Redis,
  q: string,
  group: string,
  me: string,
  runs: ReadonlyArray<readonly [replies: string, runKey: string, done: string]>,
  entries: readonly Completion[],
): Promise<CompletionOutcome> {
  const args: Arg[] = [q];
  for (const [replies, runKey, done] of runs) args.push(replies, runKey, done);
  args.push(group, me);
  for (const e of entries) args.push(e.id, e.run + 1, e.batch, e.first, e.size, e.mask, e.payload);
  const [fenced, before] = (await call(client, "weirComplete")(1 + runs.length * 3, ...args)) as [string[], string[]];
  const answeredBefore: Array<{ id: string; positions: "all" | number[] }> = [];
  for (let i = 0; i + 1 < before.length; i += 2)
    answeredBefore.push({
      id: before[i]!,
      positions: before[i + 1] === "*" ? "all" : before[i + 1]!.split(",").map(Number),
    });
  return { fenced, answeredBefore };
}

/** Renews the lease on `ids`; resolves with those `me` no longer holds. */
export async function extendLeases(
  client: Redis,
  q: string,
  group: string,
  me: string,
  ids: readonly string[],
): Promise<string[]> {
  return (await call(client, "weirExtend")(1, q, group, me, ...ids)) as string[];
}

/** One entry to put back: as it is (`bodies` empty), or replaced by these bodies. */
export interface Requeue {
  readonly id: string;
  readonly bodies: readonly Buffer[];
}

/** Puts entries back in the stream for any worker; resolves with those `me` no longer held. */
export async function requeueEntries(
  client: Redis,
  q: string,
  group: string,
  me: string,
  entries: readonly Requeue[],
): Promise<string[]> {
  const args: Arg[] = [q, group, me];
  for (const e of entries) args.push(e.id, e.bodies.length, ...e.bodies);
  return (await call(client, "weirRequeue")(1, ...args)) as string[];
}

/** An entry taken over from a worker that died or stalled. */
export interface ClaimedEntry {
  readonly id: string;
  /** The `m` field. */
  readonly body: Buffer | undefined;
  /** Times Redis delivered this entry (this claim included). */
  readonly deliveries: number;
  /** The worker that held it before. */
  readonly previous: string;
}

/** Claims up to `count` entries idle for `idleMs` or more. */
export async function claimStale(
  client: Redis,
  q: string,
  group: string,
  me: string,
  idleMs: number,
  count: number,
): Promise<ClaimedEntry[]> {
  const raw = (await call(client, "weirClaimBuffer")(1, q, group, me, idleMs, count)) as Array<
    [Buffer, Buffer[], number, Buffer]
  >;
  return raw.map(([id, fields, deliveries, previous]) => ({
    id: id.toString(),
    body: fieldOf(fields, "m"),
    deliveries: Number(deliveries),
    previous: previous.toString(),
  }));
}

/** The value of `name` in a flat [field, value, …] list. */
export function fieldOf(fields: readonly Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === name) return fields[i + 1];
  return undefined;
}
