import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { unpackBody, type ReplyBody, type RequestBody } from "../../src/fleet/protocol/FleetWire.js";
import { fieldOf } from "../../src/fleet/protocol/fleetScripts.js";
import { startRedis } from "./redisServer.js";
import { killAll, startWorkerEnv, type WorkerProcess } from "./fleetHarness.js";
import { waitFor } from "./waitFor.js";
import { ended } from "../helpers.js";

const originScript = fileURLToPath(new URL("../fixtures/fleet/durableOrigin.ts", import.meta.url));

/** Starts the durable origin; resolves once its stderr has `text` (or it exits). */
function startOrigin(redisUrl: string, db: string, total: number, mode: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", originScript, redisUrl, db, String(total), mode], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let err = "";
  const waiters: Array<() => void> = [];
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  // ended(), not "exit": the process can be gone before its last lines on stderr were read (a
  // failure's "FAILED <code>" line, written just before it exits), and the tests read them then
  const exited = ended(child).then((e) => e.code);
  // `done` before the waiters check again: a waiter that ran first would wait for ever on an
  // origin that exited without saying what it waits for (instead of failing with its stderr)
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    stderr: () => err,
    exited,
    has(text: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (err.includes(text)) resolve();
          else if (done) reject(new Error(`the origin exited before "${text}": ${err}`));
          else waiters.push(check);
        };
        check();
      });
    },
  };
}

/**
 * SIGSTOPs `child` at a moment it holds no write lock on `db`: a process stopped in the middle of a
 * commit keeps SQLite's lock, and every other process's write (a resume's claim of the run) fails
 * with WEIR_STORE_BUSY until it goes on. The drill is about a stale owner that wakes up later, not
 * about one frozen inside a transaction: while the lock is held, the child runs a little longer.
 */
async function stopBetweenTransactions(child: ChildProcess, db: string): Promise<void> {
  const probe = new Database(db, { timeout: 0 });
  try {
    for (let attempt = 1; ; attempt++) {
      child.kill("SIGSTOP");
      try {
        probe.exec("BEGIN IMMEDIATE");
        probe.exec("ROLLBACK");
        return;
      } catch (error) {
        if (!String((error as { code?: string }).code).startsWith("SQLITE_BUSY") || attempt === 100) throw error;
      }
      child.kill("SIGCONT");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    probe.close();
  }
}

/**
 * The items the fleet has in Redis now, as "<key> <n>" (the workers' run log's lines): in request
 * entries (queued or held) and in unread replies.
 */
async function itemsInRedis(client: Redis): Promise<Set<string>> {
  const items = new Set<string>();
  const indexAt = (i: number | readonly number[] | undefined, j: number): number =>
    typeof i === "number" ? i + j : i![j]!;
  const requests = (await client.xrangeBuffer("weir:q:tasks:logged", "-", "+")) as unknown as Array<[Buffer, Buffer[]]>;
  for (const [, fields] of requests) {
    const body = unpackBody<RequestBody>(fieldOf(fields, "m")!);
    body.x.forEach((x, j) => items.add(`${body.K}${indexAt(body.i, j)} ${(x as { n: number }).n}`));
  }
  for (const stream of await client.keys("weir:r:*")) {
    const replies = (await client.xrangeBuffer(stream, "-", "+")) as unknown as Array<[Buffer, Buffer[]]>;
    for (const [, fields] of replies) {
      const body = unpackBody<ReplyBody>(fieldOf(fields, "m")!);
      for (const v of body.v) {
        const out = v as { n: number; key: string };
        items.add(`${out.key} ${out.n}`);
      }
    }
  }
  return items;
}

interface Row {
  key: string;
  n: number;
  v: number;
  worker_key: string;
}

/**
 * Starts 2 workers and the origin, SIGKILLs the origin once 100 items reached its sink, pauses
 * the workers (entries stay queued and held), resumes the origin, lets the workers go on once it
 * re-attached, and checks the sink and the workers' runs.
 */
async function drill(total: number, mode: "plain" | "flat", expected: (rows: Row[]) => void): Promise<void> {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), "weir-fleet-origin-"));
  const db = join(dir, "drill.db");
  const log = join(dir, "runs.log");
  writeFileSync(log, "");
  const workers: WorkerProcess[] = [];
  const client = new Redis(redis.url);
  try {
    const env = { WEIR_TEST_RUN_LOG: log };
    const args = ["--concurrency", "4"];
    workers.push(await startWorkerEnv(redis.url, env, ...args), await startWorkerEnv(redis.url, env, ...args));
    const first = startOrigin(redis.url, db, total, mode);
    await first.has("RUNNING");
    first.child.kill("SIGKILL");
    await first.exited;
    // the workers pause (as if slow), so that entries stay queued and held while the origin is
    // away: the resumed one must wait for those, and take the answers written before the pause
    for (const w of workers) w.signal("SIGSTOP");
    // what the dead origin left in Redis: entries queued or held by a worker, answers unread
    const left = await itemsInRedis(client);
    const queued = await client.xlen("weir:q:tasks:logged");
    assert.ok(queued > 0, "the origin died with entries in Redis");

    const second = startOrigin(redis.url, db, total, mode);
    await second.has("ADOPTED");
    for (const w of workers) w.signal("SIGCONT");
    assert.equal(await second.exited, 0, second.stderr());
    const done = JSON.parse(/DONE (.*)/.exec(second.stderr())![1]!) as {
      stopped: boolean;
      fleet: { adopted: number; sent: number } | null;
    };
    assert.equal(done.stopped, false);

    const sqlite = new Database(db, { readonly: true });
    const rows = sqlite.prepare("SELECT key, n, v, worker_key FROM rows ORDER BY n").all() as Row[];
    sqlite.close();
    expected(rows);

    // runs per item in the workers
    const runs = new Map<string, number>();
    for (const line of readFileSync(log, "utf8").split("\n"))
      if (line !== "") runs.set(line, (runs.get(line) ?? 0) + 1);
    assert.equal(runs.size, rows.length, "every item ran");
    const twice = [...runs].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(
      twice.filter((k) => left.has(k)),
      [],
      "no item Redis still had was sent again",
    );
    // what ran twice is what the dead origin had read back but not committed: bounded by its window
    assert.ok(twice.length <= rows.length - left.size, `${twice.length} items ran twice`);
    // (left may hold answers the dead origin had read, even committed, before trimming them: the
    // resumed run does not ask for those)
    assert.ok(done.fleet !== null && done.fleet.adopted > 0, JSON.stringify(done.fleet));
    process.stderr.write(
      `# re-attach drill (${mode}): ${left.size} items left in Redis at the kill (${queued} entries not answered), ` +
        `${done.fleet.adopted} adopted, ${done.fleet.sent} sent by the resumed origin, ${twice.length} ran twice ` +
        `(none of those left in Redis)\n`,
    );
    assert.equal(await client.xlen("weir:q:tasks:logged"), 0, "nothing left in the request stream");
  } finally {
    client.disconnect();
    await killAll(workers);
    await redis.stop();
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

describe("fleet drills: the origin", () => {
  it("a durable origin killed with kill -9 resumes and re-attaches to what Redis still has: no item in Redis is sent twice, the keyed sink holds every row once", async () => {
    const total = 400;
    await drill(total, "plain", (rows) => {
      assert.equal(rows.length, total);
      rows.forEach((r, n) => {
        assert.equal(r.n, n);
        assert.equal(r.v, n * 2);
        assert.equal(r.key, `fleet-drill/${n}`);
        assert.equal(r.worker_key, r.key, "ctx.key in the worker is the item's key");
      });
    });
  });

  it("a flatMap's outputs (each under its own child key) each get their own answer when re-attaching", async () => {
    const total = 200;
    await drill(total, "flat", (rows) => {
      assert.equal(rows.length, total * 2);
      rows.forEach((r, n) => {
        assert.equal(r.n, n);
        assert.equal(r.v, n * 2, `item ${n} got its own answer`);
        // a child's key: its parent's (the source item n / 2) and its position among the outputs
        assert.equal(r.worker_key, `fleet-drill/${Math.floor(n / 2)}/${n % 2}`);
      });
    });
  });

  it("a stale origin (SIGSTOPped, its run resumed by another process, then SIGCONT) is fenced off: it fails with WEIR_RUN_FENCED and deletes, trims and cancels nothing of the new owner's", async () => {
    const total = 1000;
    const redis = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), "weir-fleet-stale-"));
    const db = join(dir, "drill.db");
    const log = join(dir, "runs.log");
    writeFileSync(log, "");
    const workers: WorkerProcess[] = [];
    const client = new Redis(redis.url);
    // the store's lease: a stopped owner's run is claimable once its heartbeat is this old
    const env = { WEIR_TEST_LEASE_MS: "1500", WEIR_TEST_ITEM_MS: "40", WEIR_TEST_MAX_IN_FLIGHT: "48" };
    const stale = startOrigin(redis.url, db, total, "plain", env);
    try {
      const args = ["--concurrency", "4"];
      const wenv = { WEIR_TEST_RUN_LOG: log };
      workers.push(await startWorkerEnv(redis.url, wenv, ...args), await startWorkerEnv(redis.url, wenv, ...args));
      await stale.has("RUNNING");
      await stopBetweenTransactions(stale.child, db);
      // the new owner waits out the stopped one's lease, claims the run and re-attaches
      const owner = startOrigin(redis.url, db, total, "plain", env);
      await owner.has("ADOPTED");
      // the workers pause, so that the new owner is mid-run, with entries in Redis, while the stale one wakes
      for (const w of workers) w.signal("SIGSTOP");
      const runKeys = await client.keys("weir:run:*");
      assert.equal(runKeys.length, 1, "one fleet stage, one run key");
      const token = await client.get(runKeys[0]!);
      const entryIds = (await client.xrange("weir:q:tasks:logged", "-", "+")).map(([id]) => id);
      assert.ok(entryIds.length > 0, "the new owner waits for entries in Redis");
      const replyKey = runKeys[0]!.replace("weir:run:", "weir:r:");

      stale.child.kill("SIGCONT");
      assert.equal(await stale.exited, 3, stale.stderr());
      assert.match(stale.stderr(), /FAILED WEIR_RUN_FENCED/, "the stale origin's store writes are fenced off");
      // what it did on its way out (ended its stage, cancelled and discarded its batches, trimmed
      // replies) touched nothing: the new owner's run key, entries and reply stream are there
      assert.equal(await client.get(runKeys[0]!), token, "the run key still holds the new owner's token");
      const after = new Set((await client.xrange("weir:q:tasks:logged", "-", "+")).map(([id]) => id));
      assert.deepEqual(
        entryIds.filter((id) => !after.has(id)),
        [],
        "no entry of the new owner's was deleted",
      );
      assert.equal(await client.exists(replyKey), 1, "the reply stream is there");

      for (const w of workers) w.signal("SIGCONT");
      assert.equal(await owner.exited, 0, owner.stderr());
      const sqlite = new Database(db, { readonly: true });
      const rows = sqlite.prepare("SELECT key, n, v, worker_key FROM rows ORDER BY n").all() as Row[];
      sqlite.close();
      assert.equal(rows.length, total);
      rows.forEach((r, n) => {
        assert.equal(r.n, n);
        assert.equal(r.v, n * 2);
        assert.equal(r.key, `fleet-drill/${n}`);
      });
      // the new owner's end removed its entries; a stray entry the stale one wrote is dropped unrun
      await waitFor(async () => (await client.xlen("weir:q:tasks:logged")) === 0, "the request stream to empty");
      assert.equal(await client.exists(runKeys[0]!), 0, "the new owner ended the run in Redis");
    } finally {
      stale.child.kill("SIGKILL");
      client.disconnect();
      await killAll(workers);
      await redis.stop();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
  });
});
