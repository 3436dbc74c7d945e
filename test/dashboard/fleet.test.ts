/**
 * The dashboard in a real Chromium shows a fleet stage's fleet: its workers (2 real `weir worker`
 * processes on a real `redis-server`), its lag and its redeliveries, in the stage table and the
 * graph, as the run's snapshot has them; other stages show none.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { StageFleetStats } from "../../src/index.js";
import { dashboard } from "../../src/dashboard.js";
import { fleetWithVictim } from "../fleet/fleetHarness.js";
import { waitFor } from "../fleet/waitFor.js";
import { launchChromium, skipWithoutChromium } from "./chromium.js";

describe("dashboard: fleet stages", { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  it("shows a fleet stage's 2 workers, and its lag and redeliveries as in the snapshot", async () => {
    const {
      victim,
      sink,
      fromVictim,
      items,
      pipeline: p,
      close,
    } = await fleetWithVictim("fleet-dashboard", 600, 20, {
      holdVictim: true,
    });
    const browser = await launchChromium().catch(async (error: unknown) => {
      await close();
      throw error;
    });
    try {
      const run = p.run();
      await using db = await dashboard({ runs: [{ run, plan: p.plan() }], print: false, sampleMs: 100 });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${db.url}#/run/live-1`);
      const fleetOf = (): StageFleetStats | undefined => run.snapshot().stages.find((s) => s.name === "remote")?.fleet;
      const cell = (stage: string, col: string): Promise<string | null> =>
        page.locator(`[data-stage="${stage}"] td[data-col="${col}"]`).textContent();

      // both workers are on the page, in the table and in the stage's box of the graph
      await page.waitForSelector('[data-stage="remote"] td[data-col="workers"]');
      await waitFor(async () => (await cell("remote", "workers")) === "2", "the page to show 2 workers");
      assert.equal(fleetOf()?.workers, 2, "as the snapshot says");
      await waitFor(
        async () =>
          /^fleet: 2 w · lag \d+ · redeliv 0$/.test(
            (await page.locator('[data-node="remote"] [data-f="fleet"]').textContent()) ?? "",
          ),
        "the graph's box to show the fleet",
      );
      // lag is read from Redis about once a second, the page samples every 100 ms: the page
      // catches up with a reading of entries waiting in the stream
      await waitFor(async () => {
        const lag = fleetOf()?.lag ?? 0;
        return lag > 0 && (await cell("remote", "lag")) === String(lag);
      }, "the page to show the lag the snapshot has");
      assert.equal(await cell("sink", "lag"), "–", "a stage that is not a fleet stage has no lag");
      assert.equal(await cell("sink", "redeliveries"), "–");

      // a worker killed mid-run: its entries are delivered again, and the page counts them. The
      // victim holds its first answer until it is killed, so the kill cannot come after the run
      // ended (however slow the browser steps above were) and it always leaves entries behind
      await victim.stderrHas("holding its first answer");
      assert.deepEqual(fromVictim, [], "the victim answered nothing");
      victim.signal("SIGKILL");
      const result = await run;
      const stats = result.stats["remote"]!.fleet!;
      assert.ok(stats.redeliveries > 0, `redeliveries in the result: ${JSON.stringify(stats)}`);
      assert.equal(sink.counts.size, items.length);
      assert.deepEqual(sink.twice, []);
      // the page's last sample is the ended run's snapshot
      await waitFor(
        async () => (await cell("remote", "redeliveries")) === String(stats.redeliveries),
        `the page to show ${stats.redeliveries} redeliveries`,
      );
      assert.equal(await cell("remote", "lag"), String(fleetOf()!.lag));
      assert.equal(await cell("remote", "workers"), String(fleetOf()!.workers));
      assert.match(
        (await page.locator('[data-node="remote"] [data-f="fleet"]').textContent()) ?? "",
        new RegExp(`· redeliv ${stats.redeliveries}$`),
      );
      assert.equal(
        await page.locator('[data-node="sink"] [data-f="fleet"]').count(),
        0,
        "only fleet stages grow the line",
      );
      assert.deepEqual(errors, [], "the page reported no error");
      await page.close();
    } finally {
      await browser.close();
      await close();
    }
  });
});
