/**
 * Two real processes on one SQLite file: a live owner refuses a second claim, a takeover fences
 * the first owner's next write off in the transaction that checks its epoch, a killed owner's run
 * is claimable at once, and of two processes racing to resume a run exactly one wins.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { sqliteStore } from "../../src/sqlite.js";
import { WeirError } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "weir-fencing-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL("../fixtures/store/owner.ts", import.meta.url));
const plan = [{ name: "stage", fingerprint: "v1" }];

/** A child owner process and its answers, one JSON line each. */
class Owner {
  readonly process: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: AsyncIterator<string>;
  readonly exited: Promise<number | null>;

  constructor(path: string, runId: string, mode: "create" | "resume") {
    this.process = spawn(process.execPath, ["--import", "tsx", script, path, runId, mode], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.#lines = createInterface({ input: this.process.stdout })[Symbol.asyncIterator]();
    // a refused owner exits by itself: a line written as it goes fails with EPIPE, which is no
    // failure of the test (a command that never arrives shows as an answer that never comes)
    this.process.stdin.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }

  async answer(): Promise<Record<string, unknown>> {
    const next = await this.#lines.next();
    if (next.done === true) throw new Error("the owner process ended without answering");
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  async send(command: string): Promise<Record<string, unknown>> {
    this.process.stdin.write(`${command}\n`);
    return this.answer();
  }

  async exit(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.stdin.write("exit\n");
    await this.exited;
  }
}

const code = (e: unknown): string | undefined => (WeirError.is(e) ? e.code : undefined);

describe("two processes on one run", () => {
  it("a live owner refuses a second claim; a takeover fences its next write off", async () => {
    const path = join(dir, "takeover.db");
    const first = new Owner(path, "r", "create");
    assert.deepEqual(await first.answer(), { claimed: 1 });
    assert.deepEqual(await first.send("checkpoint 10"), { ok: 10 });

    const store = sqliteStore({ path });
    await assert.rejects(store.resumeRun("r", { kind: "pipeline", plan }), (e) => {
      assert.equal(code(e), "WEIR_RUN_OWNED");
      assert.match((e as Error).message, new RegExp(`pid ${first.process.pid}`));
      return true;
    });
    const mine = await store.resumeRun("r", { kind: "pipeline", plan, takeover: true });
    assert.equal(mine.epoch, 2);
    assert.equal((await mine.lastCheckpoint())?.watermark, 10, "the first owner's committed checkpoint is kept");

    assert.deepEqual(await first.send("checkpoint 999"), { error: "WEIR_RUN_FENCED" });
    mine.checkpoint({ watermark: 11 });
    await mine.commit();
    const last = await mine.lastCheckpoint();
    assert.equal(last?.watermark, 11);
    assert.equal(last?.seq, 2, "the fenced write never reached the table");
    await first.exit();
    await store.close();
  });

  it("a killed owner's run is claimable at once, its committed state intact", async () => {
    const path = join(dir, "killed.db");
    const owner = new Owner(path, "r", "create");
    assert.deepEqual(await owner.answer(), { claimed: 1 });
    assert.deepEqual(await owner.send("checkpoint 42"), { ok: 42 });
    owner.process.kill("SIGKILL");
    await owner.exited;

    const store = sqliteStore({ path });
    const record = await store.getRun("r");
    assert.equal(record?.state, "running");
    assert.equal(record?.live, false, "its pid is gone");
    const resumed = await store.resumeRun("r", { kind: "pipeline", plan });
    assert.equal(resumed.epoch, 2);
    assert.equal((await resumed.lastCheckpoint())?.watermark, 42);
    await store.close();
  });

  it("of two processes resuming the same run at once, exactly one wins", async () => {
    const path = join(dir, "race.db");
    const setup = sqliteStore({ path });
    await (await setup.createRun({ id: "r", kind: "pipeline", name: "p", plan })).finish("running");
    await setup.close();

    const racers = [new Owner(path, "r", "resume"), new Owner(path, "r", "resume")];
    const answers = await Promise.all(racers.map((r) => r.answer()));
    assert.deepEqual(answers.map((a) => Object.keys(a)[0]).sort(), ["claimed", "refused"]);
    assert.deepEqual(
      answers.find((a) => "claimed" in a),
      { claimed: 2 },
    );
    assert.deepEqual(
      answers.find((a) => "refused" in a),
      { refused: "WEIR_RUN_OWNED" },
    );
    await Promise.all(racers.map((r) => r.exit()));
  });
});
