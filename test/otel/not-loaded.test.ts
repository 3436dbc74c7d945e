/**
 * No OpenTelemetry package is loaded when it is not used: a process that imports `weir` and runs
 * a pipeline and a workflow resolves no `@opentelemetry/*` module (ESM resolutions recorded by a
 * loader hook, CommonJS ones read from the require cache). weir/otel itself loads none either:
 * it uses the API's types only, and the tracer and meter are the caller's. As a control, the
 * same process then imports `@opentelemetry/api`, and the recording sees it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const src = new URL("../../src/", import.meta.url);

describe("OpenTelemetry is loaded only when used", () => {
  it("importing weir and running a pipeline (and weir/otel with a tracer of one's own) loads no @opentelemetry module", () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-otel-"));
    try {
      const log = join(dir, "resolved.log");
      writeFileSync(log, "");
      writeFileSync(
        join(dir, "hooks.mjs"),
        [
          'import { appendFileSync } from "node:fs";',
          `const log = ${JSON.stringify(log)};`,
          "export async function resolve(specifier, context, next) {",
          "  const r = await next(specifier, context);",
          '  appendFileSync(log, r.url + "\\n");',
          "  return r;",
          "}",
          "",
        ].join("\n"),
      );
      writeFileSync(
        join(dir, "main.mjs"),
        [
          'import { register, createRequire } from "node:module";',
          `register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`,
          "const require = createRequire(import.meta.url);",
          'const loaded = () => Object.keys(require.cache).filter((k) => k.includes("@opentelemetry"));',
          `const { pipeline, workflow } = await import(${JSON.stringify(new URL("index.ts", src).href)});`,
          "let sum = 0;",
          'await pipeline("plain").from([1, 2, 3]).map(async (x) => x * 2, { name: "double" }).to((x) => void (sum += x)).run();',
          'await workflow("wf").task("a", async () => 1).run();',
          `const { tracing } = await import(${JSON.stringify(new URL("otel.ts", src).href)});`,
          "const spans = [];",
          'const span = (name) => ({ spanContext: () => ({ traceId: "t", spanId: name, traceFlags: 1 }), setStatus() {}, setAttribute() {}, recordException() {}, end: () => void spans.push(name) });',
          'await pipeline("traced").from([1, 2]).map(async (x) => x, { name: "id" }).to(() => {}).run({ tracer: tracing({ startSpan: span }) });',
          "console.log(JSON.stringify({ sum, spans: spans.length, cjsBefore: loaded() }));",
          `await import(${JSON.stringify(import.meta.resolve("@opentelemetry/api"))});`,
          "",
        ].join("\n"),
      );
      const r = spawnSync(process.execPath, ["--import", "tsx", join(dir, "main.mjs")], {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        encoding: "utf8",
        timeout: 120_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
        sum: number;
        spans: number;
        cjsBefore: string[];
      };
      assert.equal(out.sum, 12);
      assert.ok(out.spans >= 3, `${out.spans} spans: the run's and each attempt's`);
      assert.deepEqual(out.cjsBefore, []);
      const resolved = readFileSync(log, "utf8").trim().split("\n");
      const control = resolved.findIndex((u) => u.includes("/@opentelemetry/"));
      assert.ok(
        resolved.some((u) => u.endsWith("/src/otel.ts")),
        "the recording saw weir/otel load",
      );
      // the only @opentelemetry resolution is the control's, after everything else
      assert.ok(control > 0, "the control import of @opentelemetry/api was recorded");
      assert.ok(
        resolved.slice(0, control).every((u) => !u.includes("opentelemetry")),
        "nothing before the control resolved an OpenTelemetry module",
      );
      assert.ok(control > resolved.findIndex((u) => u.endsWith("/src/otel.ts")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
