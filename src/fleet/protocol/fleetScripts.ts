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
 * died).
 */
const COMPLETE = `
local q, g, me = KEYS[1], ARGV[1], ARGV[2]
local fenced = {}
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local p = redis.call('XPENDING', q, g, id, id, 1)
  if p[1] ~= nil and p[1][2] == me then
    redis.call('XACK', q, g, id)
    redis.call('XDEL', q, id)
    local payload = ARGV[i + 2]
    if payload ~= '' then
      local k = tonumber(ARGV[i + 1]) * 2
      local ttl = redis.call('PTTL', KEYS[k + 1])
      if ttl > 0 then
        redis.call('XADD', KEYS[k], '*', 'm', payload)
        redis.call('PEXPIRE', KEYS[k], ttl)
      end
    end
  else
    fenced[#fenced + 1] = id
  end
end
return fenced`;

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
  /** The reply body, or an empty buffer to ack and drop the entry without answering. */
  readonly payload: Buffer;
}

/**
 * Acks, deletes and answers entries of stream `q` held by `me`; resolves with the ids it had to
 * leave alone because `me` no longer holds them (fenced off).
 */
export async function completeEntries(
  client: Redis,
  q: string,
  group: string,
  me: string,
  runs: ReadonlyArray<readonly [replies: string, runKey: string]>,
  entries: readonly Completion[],
): Promise<string[]> {
  const args: Arg[] = [q];
  for (const [replies, runKey] of runs) args.push(replies, runKey);
  args.push(group, me);
  for (const e of entries) args.push(e.id, e.run + 1, e.payload);
  return (await call(client, "weirComplete")(1 + runs.length * 2, ...args)) as string[];
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
