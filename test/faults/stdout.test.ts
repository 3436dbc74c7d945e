/**
 * A worker's stdout never corrupts the parent's machine-readable stdout: by default what a child
 * process or a thread prints goes to the parent's stderr; `stdout: "inherit"` keeps Node's way.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";

const index = new URL("../../src/index.ts", import.meta.url).href;
const wire = new URL("../fixtures/faults/wire.mjs", import.meta.url).href;

/** Runs a script in a fresh Node (through tsx); resolves with its exit code, stdout and stderr. */
async function run(script: string): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => p.once("close", resolve));
  return { code, out, err };
}

/**
 * A script whose own stdout is one JSON line, after a stage that prints on every item. A child
 * process writes on the file descriptor itself (synchronously, on Linux pipes), before it answers.
 * A thread's output reaches the parent's stream objects asynchronously and a terminated thread's
 * last lines can be lost, so for a thread the pool is kept warm until the last line arrived on
 * `waitOn` (the parent's stream it should arrive on), then closed.
 */
const printing = (make: "child" | "worker", options: object, waitOn: "stdout" | "stderr" | null): string => `
  import { closeIdlePools, pipeline, ${make} } from ${JSON.stringify(index)};
  let arrived = () => {};
  const last = new Promise((resolve) => (arrived = resolve));
  const stream = ${JSON.stringify(waitOn)} === null ? null : process[${JSON.stringify(waitOn)}];
  if (stream === null) arrived();
  else {
    const write = stream.write.bind(stream);
    let seen = "";
    stream.write = (chunk, ...rest) => {
      seen += String(chunk);
      if (seen.includes("shout 3")) arrived();
      return write(chunk, ...rest);
    };
  }
  const out = [];
  const options = { maxWorkers: 1, keepWarmMs: 60_000, ...${JSON.stringify(options)} };
  await pipeline("p").from([1, 2, 3])
    .map(${make}(${JSON.stringify(wire)}, "shout", options))
    .to((x) => void out.push(x))
    .run();
  // the thread's output arrives on an unref'd port: keep the loop alive while it comes
  const alive = setInterval(() => {}, 1_000);
  await last;
  clearInterval(alive);
  await closeIdlePools();
  process.stdout.write(JSON.stringify(out) + "\\n");
`;

describe("stdout: where a worker's output goes", () => {
  for (const make of ["child", "worker"] as const) {
    it(`${make}(): by default to the parent's stderr, so the parent's stdout stays machine-readable`, async () => {
      const { code, out, err } = await run(printing(make, {}, make === "worker" ? "stderr" : null));
      assert.equal(code, 0, err);
      assert.equal(out, "[1,2,3]\n");
      for (const n of [1, 2, 3]) assert.match(err, new RegExp(`shout ${n}`));
    });

    it(`${make}(): "inherit" prints on the parent's stdout, as plain Node does`, async () => {
      const { code, out, err } = await run(printing(make, { stdout: "inherit" }, make === "worker" ? "stdout" : null));
      assert.equal(code, 0, err);
      assert.match(out, /shout 1/);
      assert.match(out, /\[1,2,3\]\n$/);
      assert.doesNotMatch(err, /shout/);
    });

    it(`${make}(): "ignore" drops it`, async () => {
      const { code, out, err } = await run(printing(make, { stdout: "ignore" }, null));
      assert.equal(code, 0, err);
      assert.equal(out, "[1,2,3]\n");
      assert.doesNotMatch(err, /shout/);
    });
  }
});
