/**
 * Run from source, weir bundles its worker entry into a file. That file lives in a directory of
 * the process's own, made fresh with mode 0700 (no other local user can plant or swap it), is
 * never reused from an earlier run, and is removed when the process exits.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import { child, pipeline } from "../../src/index.js";

const index = new URL("../../src/index.ts", import.meta.url).href;
const wire = new URL("../fixtures/faults/wire.mjs", import.meta.url);

/** The entry file a child process of this test process runs. */
async function entryFile(): Promise<string> {
  let entry = "";
  await pipeline("bundle")
    .from([0])
    .map(child<number, { entry: string }>(wire, "startup", { maxWorkers: 1 }))
    .to((s) => void (entry = s.entry))
    .run();
  return entry;
}

/** The entry file a child of a fresh Node process ran; that process has exited. */
async function entryOfFreshProcess(): Promise<string> {
  const script = `
    import { pipeline, child } from ${JSON.stringify(index)};
    await pipeline("p").from([0]).map(child(${JSON.stringify(wire.href)}, "startup"))
      .to((s) => void process.stdout.write(s.entry)).run();
  `;
  const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => p.once("close", resolve));
  assert.equal(code, 0);
  return out;
}

describe("the bundled worker entry", () => {
  it("is written in a private directory (0700, this user's), as a file only this user can read or write", async () => {
    const entry = await entryFile();
    assert.match(entry, /\.mjs$/, "run from source, the entry is a bundle");
    const dir = dirname(entry);
    assert.notEqual(dir, tmpdir(), "not straight in the shared temp directory");
    assert.equal(dirname(dir), tmpdir());
    const d = statSync(dir);
    assert.equal(d.mode & 0o777, 0o700);
    assert.equal(d.uid, process.getuid!());
    assert.equal(statSync(entry).mode & 0o777, 0o600);
  });

  it("is never the file of an earlier process, and its directory is gone once that process exits", async () => {
    const first = await entryOfFreshProcess();
    const second = await entryOfFreshProcess();
    assert.notEqual(dirname(first), dirname(second), "each process its own directory: nothing is reused");
    assert.equal(existsSync(dirname(first)), false, "removed at exit");
    assert.equal(existsSync(dirname(second)), false, "removed at exit");
  });
});
