import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { keepAliveHolders } from "../../src/time/keepAlive.js";
import { turns } from "../helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("a run keeps the process alive until it settles", () => {
  it("a top-level await on a run waiting on a retry backoff exits 0 after the run, not 13", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/pipeline/keep-alive.ts"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    assert.equal(r.stdout, "run 2 out, 2 retries\nstream 30\n");
  });

  it("holds while running (a backoff on a manual clock), and lets go on every way a run ends", async () => {
    const before = keepAliveHolders();
    const clock = new ManualClock();

    // waiting on a backoff
    let calls = 0;
    const backoff = pipeline("p")
      .from([1])
      .map(
        async (x) => {
          if (calls++ === 0) throw new Error("once");
          return x;
        },
        { retry: { attempts: 2, baseMs: 1000, jitter: 0 } },
      )
      .run({ clock });
    await turns(3);
    assert.equal(keepAliveHolders(), before + 1, "held while only a timer is pending");
    await clock.advance(1000);
    await backoff;
    assert.equal(keepAliveHolders(), before, "released on success");

    await assert.rejects(
      pipeline("p")
        .from([1])
        .map(() => {
          throw new Error("x");
        })
        .run(),
    );
    assert.equal(keepAliveHolders(), before, "released on failure");

    const ac = new AbortController();
    const cancelled = pipeline("p")
      .from(function* () {
        for (;;) yield 1;
      })
      .to(() => new Promise(() => {}))
      .run({ signal: ac.signal });
    await turns(2);
    ac.abort();
    await assert.rejects(cancelled);
    assert.equal(keepAliveHolders(), before, "released on cancel");

    await assert.rejects(
      pipeline("p")
        .from(() => 42 as never)
        .run(),
    );
    assert.equal(keepAliveHolders(), before, "released when set-up failed");

    const stopped = pipeline("p")
      .from(function* () {
        for (;;) yield 1;
      })
      .to(async () => {})
      .run();
    await turns(2);
    await stopped.stop();
    assert.equal(keepAliveHolders(), before, "released after stop()");
  });

  it("stream(): held only while the reader waits in next()", async () => {
    const before = keepAliveHolders();
    const clock = new ManualClock();
    let calls = 0;
    const it = pipeline("p")
      .from([1, 2])
      .map(
        async (x) => {
          if (calls++ === 0) throw new Error("once");
          return x;
        },
        { retry: { attempts: 2, baseMs: 1000, jitter: 0 } },
      )
      .stream({ clock })
      [Symbol.asyncIterator]();
    assert.equal(keepAliveHolders(), before, "a stream nobody reads holds nothing");
    const first = it.next();
    await turns(3);
    assert.equal(keepAliveHolders(), before + 1, "the reader waits on a backoff: held");
    await clock.advance(1000);
    assert.deepEqual(await first, { done: false, value: 1 });
    assert.equal(keepAliveHolders(), before, "the reader holds the item: nothing held");
    assert.deepEqual(await it.next(), { done: false, value: 2 });
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    assert.equal(keepAliveHolders(), before);

    const left = pipeline("p")
      .from(function* () {
        for (;;) yield 1;
      })
      .stream({ capacity: 2 })
      [Symbol.asyncIterator]();
    await left.next();
    await left.return!();
    assert.equal(keepAliveHolders(), before, "a reader that left holds nothing");
  });
});
