import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startWeir } from "./weirProcess.js";

// The grace is the run's, on its clock; the test only guards against a hang (generously, for a
// loaded machine) and never asserts how long the exit took.
const HANG_GUARD_MS = 60_000;

describe("weir run: a signal's stop has a bound", () => {
  it("SIGTERM with one item that never settles: the process exits non-zero after --grace-ms and says work was abandoned", async () => {
    const p = startWeir(["run", "--grace-ms", "500", "test/fixtures/faults/never-settles.mjs"]);
    await p.stderrHas("STARTED");
    p.kill("SIGTERM");
    const { code, signal } = await p.exit(HANG_GUARD_MS);
    assert.equal(signal, null, p.stderr());
    assert.equal(code, 1, p.stderr());
    assert.match(p.stderr(), /SIGTERM: stopping: .*up to 500 ms/);
    assert.match(
      p.stderr(),
      /weir: stopped by SIGTERM: 1 item in flight was abandoned \(the grace of 500 ms ran out\)/,
    );
  });

  it("SIGINT then SIGTERM: the second signal aborts at once, exit 1, abandoned", async () => {
    const p = startWeir(["run", "test/fixtures/faults/never-settles.mjs"]);
    await p.stderrHas("STARTED");
    p.kill("SIGINT");
    await p.stderrHas("stopping");
    p.kill("SIGTERM");
    const { code } = await p.exit(HANG_GUARD_MS);
    assert.equal(code, 1, p.stderr());
    assert.match(p.stderr(), /drains for up to 25000 ms/);
    assert.match(p.stderr(), /SIGTERM: aborting/);
    assert.match(p.stderr(), /stopped by SIGINT: work in flight was abandoned \(the run was aborted\)/);
  });

  it("a stop that drains within the grace exits 0 and abandons nothing", async () => {
    const p = startWeir(["run", "--grace-ms", "60000", "test/fixtures/cli/idle.mjs"]);
    await p.stderrHas("IDLE");
    p.kill("SIGTERM");
    const { code } = await p.exit(HANG_GUARD_MS);
    assert.equal(code, 0, p.stderr());
    assert.match(p.stdout(), /cli-idle: stopped/);
    assert.doesNotMatch(p.stderr(), /abandoned/);
  });
});
