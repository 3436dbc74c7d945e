/**
 * Its own file (a process of its own): the first hold of the process is this test's, so it sees
 * the histogram made.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { IntervalHistogram, EventLoopMonitorOptions } from "node:perf_hooks";
import { holdMainLoopDelay, mainLoopDelayMs } from "../../src/time/mainLoopDelay.js";

describe("the main loop's delay histogram", () => {
  it("is made once for the process and emptied at each new hold (a short run does not make one)", () => {
    const perfHooks = createRequire(import.meta.url)("node:perf_hooks") as {
      monitorEventLoopDelay: (options?: EventLoopMonitorOptions) => IntervalHistogram;
    };
    const original = perfHooks.monitorEventLoopDelay;
    let made = 0;
    let emptied = 0;
    let enabled = 0;
    perfHooks.monitorEventLoopDelay = (options) => {
      made++;
      const h = original(options);
      const reset = h.reset.bind(h);
      const enable = h.enable.bind(h);
      h.reset = () => {
        emptied++;
        reset();
      };
      h.enable = () => {
        enabled++;
        return enable();
      };
      return h;
    };
    try {
      for (let i = 0; i < 5; i++) {
        const release = holdMainLoopDelay();
        assert.equal(mainLoopDelayMs(), 0); // a new hold starts from nothing
        release();
      }
    } finally {
      perfHooks.monitorEventLoopDelay = original;
    }
    assert.equal(made, 1);
    assert.equal(enabled, 5);
    assert.equal(emptied, 5);
  });
});
