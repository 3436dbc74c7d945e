/**
 * The dashboard in a real Chromium (Debian's package, driven by playwright-core): a running
 * pipeline's counts go up on its page, the page's Stop button stops the run, dead letters from a
 * store are shown, replayed (the replaying pipeline's sink sees the item) and purged, a workflow of
 * 1,000 tasks and 10,000 dead letters stay usable, and requests without the token or the CSRF
 * header are refused.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { memoryStore, pipeline, workflow, type Store } from "../../src/index.js";
import { dashboard, type Dashboard } from "../../src/dashboard.js";
import { launchChromium, skipWithoutChromium } from "./chromium.js";

/** The little of the DOM the page functions below use (this file is compiled without the DOM's types). */
declare const document: {
  querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
  querySelectorAll(selector: string): { length: number };
  getElementById(id: string): { textContent: string | null } | null;
};

interface Canvas {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A source that never ends on its own: one item every few ms until the run stops it. */
async function* endless(): AsyncGenerator<number> {
  for (let i = 0; ; i++) {
    await sleep(3);
    yield i;
  }
}

function endlessPipeline(name: string) {
  return pipeline(name)
    .from(endless())
    .map((x: number) => x * 2, { name: "double" })
    .to(() => {}, { name: "out" });
}

/** A run of {@link endlessPipeline}, as the dashboard tests hold it. */
type EndlessRun = ReturnType<ReturnType<typeof endlessPipeline>["run"]>;

/**
 * Runs `body` with an endless pipeline running, a dashboard showing it (an update every 100 ms;
 * the run is `live-1`) and a page of Chromium; closes the page and stops the run after, whatever
 * `body` did.
 */
async function withLiveRun(
  browser: Browser,
  name: string,
  body: (live: { run: EndlessRun; db: Dashboard; page: Page; errors: string[] }) => Promise<void>,
): Promise<void> {
  const p = endlessPipeline(name);
  const run = p.run();
  await using db = await dashboard({ runs: [{ run, plan: p.plan() }], print: false, sampleMs: 100 });
  const { page, errors } = await openPage(browser);
  try {
    await body({ run, db, page, errors });
  } finally {
    await page.close();
    await run.stop({ graceMs: 0 }).catch(() => {});
  }
}

/** Adds `n` dead letters to `store` under one run; resolves once they are committed. */
async function addDeadLetters(store: Store, n: number, runName = "orders"): Promise<void> {
  const run = await store.createRun({ kind: "pipeline", name: runName, plan: [{ name: "enrich", fingerprint: "f" }] });
  for (let i = 0; i < n; i++) {
    const error = Object.assign(new Error(`enrich failed on order ${i}`), { code: "E_ENRICH" });
    run.addDeadLetter({
      key: `k${i}`,
      stage: "enrich",
      index: i,
      item: { order: i },
      error,
      attempts: 3,
      firstFailedAt: 1,
    });
  }
  await run.finish("completed");
}

/** Waits for the status line to say `text` (what the page says after an action). */
async function status(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => document.getElementById("status")?.textContent === t, text);
}

/** A new page, and the errors it reports (uncaught exceptions, console errors such as CSP refusals). */
async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return { page, errors };
}

async function number(page: Page, selector: string): Promise<number> {
  const text = (await page.locator(selector).textContent()) ?? "";
  return Number(text.replace(/[^\d.]/g, "")) * (text.endsWith("k") ? 1000 : 1);
}

/**
 * Presses the mouse on `target`, waits for the text of `changing` to change (an update redrew the
 * page meanwhile), then releases it: a click that an element drawn anew between press and
 * release would lose.
 */
async function clickAcrossRedraw(page: Page, target: string, changing: string): Promise<void> {
  // a count above 0 (parseFloat: the page writes 10,000 and more as "10.2k")
  await page.waitForFunction((sel) => Number.parseFloat(document.querySelector(sel)?.textContent ?? "") > 0, changing);
  const box = await page.locator(target).boundingBox();
  assert.ok(box !== null, `${target} is on the page`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  const pressed = await page.locator(changing).textContent();
  await page.waitForFunction(([sel, seen]) => document.querySelector(sel)?.textContent !== seen, [
    changing,
    pressed,
  ] as const);
  await page.mouse.up();
}

/**
 * The run's result once it ended, waiting at most 30 s after the page's Stop; fails saying the
 * run's state, the page's status line and its errors if it did not end. Bounded: a run a click did
 * not stop would hold the test (and its dashboard, and the process) past the suite's timeout,
 * where the test's finally never runs (CI, Node 24, once).
 */
async function endedAfterStop<R>(
  run: PromiseLike<R> & { snapshot(): { state: string } },
  page: Page,
  errors: readonly string[],
): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    run,
    new Promise<undefined>((resolve) => (timer = setTimeout(resolve, 30_000, undefined))),
  ]);
  clearTimeout(timer);
  if (result !== undefined) return result;
  // what the page and the run said, read only when it failed
  const pageStatus = await page.locator("#status").textContent();
  return assert.fail(
    `the run did not end within 30 s of the page's Stop: ${run.snapshot().state}, ` +
      `page status ${JSON.stringify(pageStatus)}, page errors ${JSON.stringify(errors)}`,
  );
}

describe("dashboard in Chromium", { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it("a running pipeline's counts increase on its page, and its Stop button stops the run", async () => {
    await withLiveRun(browser, "live-counts", async ({ run, db, page, errors }) => {
      await page.goto(`${db.url}#/run/live-1`);
      const cell = '[data-stage="out"] td[data-col="in"]';
      await page.waitForFunction((sel) => Number(document.querySelector(sel)?.textContent) > 0, cell);
      const first = await number(page, cell);
      // the cell shows plain integers below 10,000
      await page.waitForFunction(([sel, seen]) => Number(document.querySelector(sel)?.textContent) > seen, [
        cell,
        first,
      ] as const);
      assert.ok((await number(page, cell)) > first);
      // the throughput chart of each stage (items out per second over time) draws once two samples came
      await page.waitForFunction(() => {
        const canvas = document.querySelector('[data-stage="double"] canvas.spark') as unknown as Canvas | null;
        if (canvas === null) return false;
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) return true;
        return false;
      });
      assert.equal(await page.locator("#stages canvas.spark").count(), 3, "one chart per stage");
      assert.equal(await page.locator("#graph [data-node]").count(), 3, "the graph shows the source and both stages");
      assert.equal(await page.locator("#graph .edge.fused").count(), 1, "fused into one step: one dashed path");
      assert.equal(run.snapshot().state, "running");

      await page.click("#stop");
      const result = await endedAfterStop(run, page, errors);
      assert.equal(result.stopped, true, "the run ended because the page stopped it");
      await page.waitForFunction(
        () => document.querySelector("h1 [data-state]")?.getAttribute("data-state") !== "running",
      );
      assert.ok(await page.locator("#stop").isDisabled(), "a run that ended cannot be stopped again");
      assert.deepEqual(errors, [], "the page reported no error");
    });
  });

  it("a click on Stop still stops the run when an update redraws the page between press and release", async () => {
    // updates every 100 ms redraw the run's header: a Stop button made anew by one of them, after
    // the mouse went down on the old one, would never get the click (the press and the release
    // must land on one element)
    await withLiveRun(browser, "straddled-click", async ({ run, db, page, errors }) => {
      await page.goto(`${db.url}#/run/live-1`);
      // an update redraws the header (the progress card's count changes) while the button is held
      await clickAcrossRedraw(page, "#stop", '[data-card="done"]');
      const result = await endedAfterStop(run, page, errors);
      assert.equal(result.stopped, true, "the run ended because the page stopped it");
      assert.deepEqual(errors, [], "the page reported no error");
    });
  });

  it("a click on a row of the runs list opens its run when the list reloads between press and release", async () => {
    await withLiveRun(browser, "straddled-row", async ({ db, page, errors }) => {
      await page.goto(`${db.url}#/`);
      // the list reloads (every 2 s: the row's count changes) while the row is held down
      await clickAcrossRedraw(page, '[data-run="live-1"] td:nth-child(3)', '[data-run="live-1"] [data-col="done"]');
      await page.waitForFunction(() => document.querySelector("#run-name")?.textContent === "straddled-row", null, {
        timeout: 10_000,
      });
      assert.deepEqual(errors, [], "the page reported no error");
    });
  });

  it("shows a dead letter from the store, replays it (the sink sees it), edits and replays, purges", async () => {
    const store = memoryStore();
    await addDeadLetters(store, 3);
    const seen: unknown[] = [];
    await using db = await dashboard({
      store,
      print: false,
      replay: async (letters) => {
        await pipeline("replay")
          .from(letters.map((l) => l.item))
          .to((item) => void seen.push(item))
          .run();
      },
    });
    const { page, errors } = await openPage(browser);
    try {
      await page.goto(`${db.url}#/dead-letters`);
      await page.waitForSelector('[data-dead-letter="2"]');
      assert.equal(await page.locator("#dead-letters tbody tr").count(), 3);
      await page.click('[data-dead-letter="2"]');
      await page.waitForSelector("#dl-item");
      assert.deepEqual(JSON.parse(await page.locator("#dl-item").inputValue()), { order: 1 });
      const error = (await page.locator("#dl-error").textContent()) ?? "";
      assert.match(error, /Error \[E_ENRICH\]: enrich failed on order 1/);
      assert.match(error, /at .*addDeadLetters/, "the stack is shown");

      await page.click("#replay-one");
      await status(page, "replayed 1");
      assert.deepEqual(seen, [{ order: 1 }], "the replaying pipeline's sink saw the item");
      assert.notEqual((await store.deadLetters.get(2))?.replayedAt, undefined, "marked replayed in the store");

      await page.waitForSelector("#dl-item");
      await page.fill("#dl-item", '{ "order": 1, "fixed": true }');
      await page.click("#edit-replay");
      await status(page, "replayed 1");
      assert.deepEqual(seen, [{ order: 1 }, { order: 1, fixed: true }], "the edited item was replayed");

      await page.click("#purge-one");
      await status(page, "purged 1");
      assert.equal(await store.deadLetters.get(2), undefined);
      assert.equal(await store.deadLetters.count(), 2);
      await page.waitForFunction(() => document.querySelectorAll("#dead-letters tbody tr").length === 2);
      assert.deepEqual(errors, [], "the page reported no error");
    } finally {
      await page.close();
      await store.close();
    }
  });

  it("replays the selected dead letters in bulk, purges the selected ones, and purges every one matching a filter", async () => {
    const store = memoryStore();
    await addDeadLetters(store, 6);
    const seen: unknown[] = [];
    await using db = await dashboard({
      store,
      print: false,
      replay: async (letters) => {
        await pipeline("replay")
          .from(letters.map((l) => l.item))
          .to((item) => void seen.push(item))
          .run();
      },
    });
    const { page, errors } = await openPage(browser);
    const tick = (id: number): Promise<void> => page.check(`[data-dead-letter="${id}"] input[type=checkbox]`);
    try {
      await page.goto(`${db.url}#/dead-letters`);
      await page.waitForSelector('[data-dead-letter="6"]');
      assert.ok(await page.locator("#replay-selected").isDisabled(), "nothing selected yet");
      await tick(2);
      await tick(3);
      await page.click("#replay-selected");
      await status(page, "replayed 2");
      assert.deepEqual(seen, [{ order: 1 }, { order: 2 }], "one replay of both selected items");
      for (const id of [2, 3]) assert.notEqual((await store.deadLetters.get(id))?.replayedAt, undefined);
      assert.equal((await store.deadLetters.get(1))?.replayedAt, undefined, "the others were not replayed");

      await tick(4);
      await tick(5);
      await page.click("#purge-selected");
      await status(page, "purged 2");
      assert.deepEqual(
        (await store.deadLetters.list({})).records.map((r) => r.id),
        [1, 2, 3, 6],
      );

      await page.selectOption('select[name="replayed"]', "true");
      await page.click("form.filters button");
      await page.waitForFunction(() => document.getElementById("dl-total")?.textContent?.startsWith("2 matching"));
      page.once("dialog", (dialog) => void dialog.accept());
      // the status still reads "purged 2" from the purge above: wait for this purge's answer
      const answered = page.waitForResponse((r) => r.url().endsWith("/api/dead-letters/purge"));
      await page.click("#purge-matching");
      assert.equal((await answered).status(), 200);
      await status(page, "purged 2");
      assert.deepEqual(
        (await store.deadLetters.list({})).records.map((r) => r.id),
        [1, 6],
        "every replayed one was purged, only those",
      );
      assert.deepEqual(errors, [], "the page reported no error");
    } finally {
      await page.close();
      await store.close();
    }
  });

  it("searches the runs by id, name, state and start date", async () => {
    let now = Date.parse("2026-01-05T10:00:00Z");
    const store = memoryStore({ now: () => now });
    const make = async (id: string, kind: "pipeline" | "workflow", name: string, failed: boolean): Promise<void> => {
      const run = await store.createRun({ id, kind, name, plan: [{ name: "s", fingerprint: "f" }] });
      await (failed ? run.finish("failed", new Error("no")) : run.finish("completed"));
    };
    await make("orders-a", "pipeline", "orders", false);
    now = Date.parse("2026-03-10T10:00:00Z");
    await make("orders-b", "pipeline", "orders", true);
    now = Date.parse("2026-03-12T10:00:00Z");
    await make("nightly-1", "workflow", "nightly", false);
    await using db = await dashboard({ store, print: false });
    const { page, errors } = await openPage(browser);
    const shown = async (ids: string[]): Promise<void> => {
      await page.waitForFunction(
        (want) =>
          [...(document.querySelectorAll("#runs tbody tr") as unknown as Array<{ getAttribute(n: string): string }>)]
            .map((tr) => tr.getAttribute("data-run"))
            .join(",") === want,
        ids.join(","),
      );
    };
    try {
      await page.goto(db.url);
      await shown(["nightly-1", "orders-b", "orders-a"]);
      await page.fill('input[name="q"]', "nightly");
      await page.press('input[name="q"]', "Enter");
      await shown(["nightly-1"]);
      await page.fill('input[name="q"]', "ORDERS-B");
      await page.press('input[name="q"]', "Enter");
      await shown(["orders-b"]);
      await page.fill('input[name="q"]', "");
      await page.selectOption('select[name="state"]', "failed");
      await shown(["orders-b"]);
      await page.selectOption('select[name="state"]', "");
      await page.fill('input[name="since"]', "2026-03-01");
      await shown(["nightly-1", "orders-b"]);
      await page.selectOption('select[name="state"]', "completed");
      await shown(["nightly-1"]);
      assert.deepEqual(errors, [], "the page reported no error");
    } finally {
      await page.close();
      await store.close();
    }
  });

  it("pages 10,000 dead letters server-side and searches them", async () => {
    const store = memoryStore();
    await addDeadLetters(store, 10_000);
    await addDeadLetters(store, 5, "invoices");
    await using db = await dashboard({ store, print: false });
    const { page, errors } = await openPage(browser);
    try {
      await page.goto(`${db.url}#/dead-letters`);
      await page.waitForFunction(() => document.getElementById("dl-total")?.textContent?.startsWith("10005 matching"));
      assert.equal(await page.locator("#dead-letters tbody tr").count(), 50, "one page, not ten thousand rows");
      await page.click("#dl-next");
      await page.waitForSelector('[data-dead-letter="51"]');
      assert.match((await page.locator("#dl-total").textContent()) ?? "", /page 2 of 201/);
      await page.fill('input[name="runName"]', "invoices");
      await page.press('input[name="runName"]', "Enter");
      await page.waitForFunction(() => document.getElementById("dl-total")?.textContent?.startsWith("5 matching"));
      assert.equal(await page.locator("#dead-letters tbody tr").count(), 5);
      assert.deepEqual(errors, [], "the page reported no error");
    } finally {
      await page.close();
      await store.close();
    }
  });

  it("draws a workflow of 1,000 tasks as a DAG with their states, and a timeline of attempts", async () => {
    let gate!: () => void;
    const held = new Promise<void>((resolve) => (gate = resolve));
    const wf = workflow("wide").tasks([
      { name: "root", run: () => held },
      ...Array.from({ length: 999 }, (_, i) => ({ name: `t${i}`, after: ["root"], run: () => i })),
    ]);
    const run = wf.run({ concurrency: 8 });
    await using db = await dashboard({ runs: [{ run, plan: wf.plan() }], print: false, sampleMs: 100 });
    const { page, errors } = await openPage(browser);
    try {
      await page.goto(`${db.url}#/run/live-1`);
      await page.waitForFunction(() => document.querySelectorAll("#dag [data-task]").length === 1000);
      assert.equal(await page.locator('#dag [data-task="root"]').getAttribute("class"), "task running critical");
      gate();
      await run;
      await page.waitForFunction(() => document.querySelectorAll("#dag .task.completed").length === 1000);
      assert.match((await page.locator('[data-count="completed"]').textContent()) ?? "", /completed 1000/);
      const drawn = await page.evaluate(() => {
        const canvas = document.querySelector(".gantt canvas") as unknown as Canvas;
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        return painted;
      });
      assert.ok(drawn > 0, "the timeline drew the attempts");
      assert.deepEqual(errors, [], "the page reported no error");
    } finally {
      await page.close();
    }
  });

  it("refuses the page without the token, and a POST without the CSRF header", async () => {
    const p = endlessPipeline("guarded");
    const run = p.run();
    await using db = await dashboard({ runs: [run], print: false });
    const page = await browser.newPage();
    try {
      const base = db.url.slice(0, db.url.indexOf("/?"));
      const bare = await page.goto(`${base}/`);
      assert.equal(bare?.status(), 401);
      const wrong = await page.goto(`${base}/?token=not-the-token`);
      assert.equal(wrong?.status(), 403);
      await page.goto(db.url);
      // a string, so the transpiler's helpers (__name) do not leak into the page
      const statuses = (await page.evaluate(`(async () => {
        const token = ${JSON.stringify(db.token)};
        const stop = { method: "POST", body: "{}" };
        return {
          noCsrf: (await fetch("/api/runs/live-1/stop", { ...stop, headers: { "x-weir-token": token } })).status,
          wrongCsrf: (await fetch("/api/runs/live-1/stop", { ...stop, headers: { "x-weir-token": token, "x-weir-csrf": "guess" } })).status,
          get: (await fetch("/api/runs/live-1/stop?token=" + token)).status,
        };
      })()`)) as Record<string, number>;
      assert.deepEqual(statuses, { noCsrf: 403, wrongCsrf: 403, get: 405 });
      assert.equal(run.snapshot().state, "running", "nothing was stopped");
    } finally {
      await page.close();
      await run.stop({ graceMs: 0 }).catch(() => {});
    }
  });
});

export type { Dashboard };
