/**
 * The dashboard's server without a browser: the token and CSRF checks as HTTP answers, the Host
 * check, options refused when given, a taken port, the API over a real store, `run({ dashboard })`
 * in a child process (its URL on stderr; the process still exits by itself), `weir dashboard` over
 * a SQLite file, and the core never importing the dashboard statically.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidOptionError, memoryStore, pipeline, WeirError } from "../../src/index.js";
import { dashboard, DashboardError } from "../../src/dashboard.js";
import { sqliteStore } from "../../src/sqlite.js";
import { ended } from "../helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const src = resolve(root, "src");

async function* endless(): AsyncGenerator<number> {
  for (let i = 0; ; i++) {
    await new Promise((r) => setTimeout(r, 3));
    yield i;
  }
}

function base(url: string): string {
  return url.slice(0, url.indexOf("/?"));
}

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

/** Resolves with the first line of `stream` that matches `pattern`. */
function lineMatching(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolveLine, reject) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("utf8");
      const m = text.match(pattern);
      if (m !== null) {
        stream.off("data", onData);
        resolveLine(m);
      }
    };
    stream.on("data", onData);
    stream.once("end", () => reject(new Error(`ended without ${pattern}: ${text}`)));
  });
}

describe("dashboard server", () => {
  it("refuses a request without the token (401) or with a wrong one (403), the page's files included", async () => {
    await using db = await dashboard({ print: false });
    const at = base(db.url);
    for (const path of ["/", "/app.js", "/app.css", "/api/runs", "/api/runs/live-1/events"]) {
      const none = await fetch(`${at}${path}`);
      assert.equal(none.status, 401, path);
      assert.equal(await errorOf(none), "WEIR_DASHBOARD_TOKEN");
      assert.equal((await fetch(`${at}${path}?token=${db.token}x`)).status, 403, path);
    }
    assert.equal((await fetch(db.url)).status, 200);
    assert.equal((await fetch(`${at}/api/runs`, { headers: { "x-weir-token": db.token } })).status, 200);
    const page = await fetch(db.url);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.match(db.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it("stops a live run only on a POST carrying the x-weir-csrf header", async () => {
    const run = pipeline("csrf")
      .from(endless())
      .to(() => {}, { name: "drop" })
      .run();
    await using db = await dashboard({ runs: [run], print: false });
    const stop = `${base(db.url)}/api/runs/live-1/stop?token=${db.token}`;
    const form = await fetch(stop, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "cancel=true",
    });
    assert.equal(form.status, 403, "what a cross-origin form can send");
    assert.equal(await errorOf(form), "WEIR_DASHBOARD_CSRF");
    assert.equal((await fetch(stop)).status, 405);
    assert.equal((await fetch(stop, { method: "POST", headers: { "x-weir-csrf": "nope" } })).status, 403);
    assert.equal(run.snapshot().state, "running");
    const ok = await fetch(stop, { method: "POST", headers: { "x-weir-csrf": db.token }, body: "{}" });
    assert.equal(ok.status, 202);
    assert.equal((await run).stopped, true);
  });

  it("refuses a Host header that is not the dashboard's (DNS rebinding)", async () => {
    await using db = await dashboard({ print: false });
    const status = (host: string): Promise<number> =>
      new Promise((resolveStatus, reject) => {
        const req = request(
          { host: "127.0.0.1", port: db.port, path: `/api/runs?token=${db.token}`, headers: { host } },
          (res) => {
            res.resume();
            resolveStatus(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
    assert.equal(await status(`evil.example:${db.port}`), 403);
    assert.equal(await status(`localhost:${db.port}`), 200);
    assert.equal(await status(`127.0.0.1:${db.port}`), 200);
  });

  it("checks its options when called: another address needs allowRemote, and warns", async () => {
    await assert.rejects(dashboard({ host: "0.0.0.0" }), (e: unknown) => {
      assert.ok(e instanceof InvalidOptionError);
      assert.equal(e.option, "host");
      return true;
    });
    await assert.rejects(dashboard({ prot: 1 } as never), /unknown option "prot" \(did you mean "port"\?\)/);
    await assert.rejects(dashboard({ port: 70_000 }), /option port/);
    await assert.rejects(dashboard({ runs: [42] as never }), /option runs\[0\]/);
    const lines: string[] = [];
    await using db = await dashboard({ host: "0.0.0.0", allowRemote: true, print: (l) => lines.push(l) });
    assert.match(lines[0]!, /WARNING: listening on 0\.0\.0\.0, not loopback/);
    assert.match(lines[1]!, /^weir dashboard: http:\/\/0\.0\.0\.0:\d+\/\?token=/);
    assert.equal(db.host, "0.0.0.0");
  });

  it("fails with WEIR_DASHBOARD_LISTEN when its port is taken", async () => {
    await using first = await dashboard({ print: false });
    await assert.rejects(dashboard({ port: first.port, print: false }), (e: unknown) => {
      assert.ok(e instanceof DashboardError && WeirError.is(e));
      assert.equal(e.code, "WEIR_DASHBOARD_LISTEN");
      return true;
    });
  });

  it("serves the store's runs and dead letters; without a replay handler, replay is 501", async () => {
    const store = memoryStore();
    const handle = await store.createRun({
      kind: "workflow",
      name: "nightly",
      plan: [{ name: "a", fingerprint: "1" }],
    });
    handle.addDeadLetter({
      key: "k",
      stage: "a",
      item: { n: 1 },
      error: new Error("no"),
      attempts: 2,
      firstFailedAt: 1,
    });
    await handle.finish("failed", new Error("task a failed"));
    await using db = await dashboard({ store, print: false });
    const get = async (path: string): Promise<Response> => fetch(`${base(db.url)}${path}?token=${db.token}`);
    const runs = (await (await get("/api/runs")).json()) as { runs: Array<{ id: string; state: string }> };
    assert.deepEqual(
      runs.runs.map((r) => [r.id, r.state]),
      [[handle.id, "failed"]],
    );
    const detail = (await (await get(`/api/runs/${handle.id}`)).json()) as { kind: string; error: { message: string } };
    assert.equal(detail.kind, "stored");
    assert.equal(detail.error.message, "task a failed");
    const page = (await (await get("/api/dead-letters")).json()) as { total: number; records: Array<{ id: number }> };
    assert.equal(page.total, 1);
    const one = (await (await get(`/api/dead-letters/${page.records[0]!.id}`)).json()) as { item: unknown };
    assert.deepEqual(one.item, { n: 1 });
    assert.equal((await get("/api/dead-letters/999")).status, 404);
    const replay = await fetch(`${base(db.url)}/api/dead-letters/replay?token=${db.token}`, {
      method: "POST",
      headers: { "x-weir-csrf": db.token },
      body: JSON.stringify({ ids: [1] }),
    });
    assert.equal(replay.status, 501);
    assert.equal(await errorOf(replay), "WEIR_DASHBOARD_UNSUPPORTED");
    await store.close();
  });

  it("keeps the last 100 ended runs on the runs page, and every live one", async () => {
    const live = pipeline("still-going")
      .from(endless())
      .to(() => {})
      .run();
    await using db = await dashboard({ runs: [live], print: false });
    for (let i = 0; i < 105; i++) {
      const run = pipeline(`done-${i}`)
        .from([i])
        .to(() => {})
        .run();
      await run;
      db.watch(run);
    }
    const { runs } = (await (await fetch(`${base(db.url)}/api/runs?token=${db.token}`)).json()) as {
      runs: Array<{ name: string }>;
    };
    assert.equal(runs.length, 101);
    assert.equal(runs[0]!.name, "done-104");
    assert.equal(runs.at(-2)!.name, "done-5", "the oldest ended runs were dropped");
    assert.equal(runs.at(-1)!.name, "still-going", "a live run is never dropped");
    await live.stop({ graceMs: 0 });
  });

  it("run({ dashboard: true }) prints its URL, shows the run, and never keeps the process alive", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/dashboard/run-with-dashboard.ts"], {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const exited = ended(child).then((e) => e.code);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    try {
      const [, url] = await lineMatching(child.stderr, /weir dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n/);
      const token = new URL(url!).searchParams.get("token")!;
      const runs = (await (await fetch(`${base(url!)}/api/runs?token=${token}`)).json()) as {
        runs: Array<{ name: string; state: string }>;
      };
      assert.deepEqual(
        runs.runs.map((r) => [r.name, r.state]),
        [["beside", "running"]],
      );
      child.stdin.end();
      assert.equal(await exited, 0, "the process exited by itself once the run ended");
      assert.equal(out, "stopped true\n");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("run() checks its dashboard option when called", () => {
    const p = pipeline("opts")
      .from([1])
      .to(() => {});
    assert.throws(() => p.run({ dashboard: { host: "0.0.0.0" } }), /option dashboard\.host/);
    assert.throws(() => p.run({ dashboard: "yes" as never }), /option dashboard: expected true, false/);
    assert.throws(() => p.run({ dashboard: { prot: 1 } as never }), /dashboard\.prot/);
  });

  it("weir dashboard --db serves a SQLite store until SIGTERM, exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-dashboard-"));
    const file = join(dir, "weir.db");
    const store = sqliteStore({ path: file });
    const handle = await store.createRun({
      kind: "pipeline",
      name: "from-disk",
      plan: [{ name: "s", fingerprint: "f" }],
    });
    await handle.finish("completed");
    await store.close();
    const child = spawn(process.execPath, [join(root, "bin/weir.js"), "dashboard", "--db", file], { cwd: root });
    const exited = ended(child).then((e) => e.code);
    try {
      const [, url] = await lineMatching(child.stdout, /weir dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n/);
      const token = new URL(url!).searchParams.get("token")!;
      assert.equal((await fetch(`${base(url!)}/api/runs`)).status, 401);
      const runs = (await (await fetch(`${base(url!)}/api/runs?token=${token}`)).json()) as {
        runs: Array<{ name: string; source: string }>;
      };
      assert.deepEqual(
        runs.runs.map((r) => [r.name, r.source]),
        [["from-disk", "store"]],
      );
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("weir/dashboard is a subpath of its own", () => {
  /** Files reachable from `entry` through static imports (dynamic `import()` is how the core loads it, lazily). */
  function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const pending = [entry];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (files.has(file)) continue;
      files.add(file);
      for (const m of readFileSync(file, "utf8").matchAll(/^(?:import|export)[^;]*?from\s*["']([^"']+)["']/gms)) {
        const spec = m[1]!;
        if (spec.startsWith(".")) pending.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
        else packages.add(spec);
      }
    }
    return { files, packages };
  }

  it("the core and the CLI's entry never import the dashboard or an HTTP server statically", () => {
    for (const entry of ["index.ts", "cli/main.ts"]) {
      const g = staticGraph(resolve(src, entry));
      assert.ok(g.files.size > 20, `${entry}: walked ${g.files.size} files`);
      assert.deepEqual(
        [...g.files].filter((f) => f.includes("/src/dashboard")),
        [],
        entry,
      );
      assert.equal(g.packages.has("node:http"), false, entry);
    }
    assert.ok(staticGraph(resolve(src, "dashboard.ts")).packages.has("node:http"));
    const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
      exports: Record<string, { types: string; import: string; default: string }>;
    };
    assert.deepEqual(pkg.exports["./dashboard"], {
      types: "./dist/dashboard.d.ts",
      import: "./dist/dashboard.js",
      default: "./dist/dashboard.js",
    });
  });
});
