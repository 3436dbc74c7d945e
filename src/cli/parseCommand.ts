import { parseArgs } from "node:util";
import { closestName } from "../options/closestName.js";
import { UsageError } from "./UsageError.js";
import type { DashboardCommand } from "./dashboardCommand.js";
import { DEFAULT_GRACE_MS } from "./usage.js";
import { parseStoreCommand, type StoreCommand } from "./store/parseStoreCommand.js";

/** A command line, understood. */
export type CliCommand =
  | {
      readonly kind: "help";
      readonly topic: "weir" | "run" | "plan" | "worker" | "runs" | "dlq" | "resume" | "top" | "dashboard";
    }
  | { readonly kind: "version" }
  | {
      readonly kind: "run";
      readonly file: string;
      readonly json: boolean;
      readonly progress: boolean;
      readonly graceMs: number;
      /** `--durable` (run) or `weir resume <runId>`: the run is recorded in the SQLite store. */
      readonly durable?: { readonly resume: string | undefined; readonly force: boolean };
      readonly metricsPort: number | undefined;
    }
  | { readonly kind: "plan"; readonly file: string; readonly json: boolean }
  | WorkerCommand
  | StoreCommand
  | TopCommand
  | DashboardCommand;

/** `weir top`: every run on this machine, or the one at `address`. */
export interface TopCommand {
  readonly kind: "top";
  readonly address: string | undefined;
  /** `--db`: the store whose running processes to list. */
  readonly db: string | undefined;
  readonly intervalMs: number;
  readonly once: boolean;
}

/** `weir worker`: the modules to serve and the options given (absent ones take the defaults). */
export interface WorkerCommand {
  readonly kind: "worker";
  readonly modules: readonly string[];
  /** `--redis`, or `WEIR_REDIS_URL` when not given. */
  readonly redis: string;
  readonly exports: readonly string[] | undefined;
  readonly concurrency: number | undefined;
  readonly prefetch: number | undefined;
  readonly leaseMs: number | undefined;
  readonly maxDeliveries: number | undefined;
  readonly maxOutageMs: number | undefined;
  readonly prefix: string | undefined;
  readonly name: string | undefined;
  readonly graceMs: number;
}

type OptionSpecs = Record<string, { type: "boolean" | "string"; short?: string }>;

const globalOptions: OptionSpecs = { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } };
const runOptions: OptionSpecs = {
  json: { type: "boolean" },
  "no-progress": { type: "boolean" },
  "grace-ms": { type: "string" },
  "metrics-port": { type: "string" },
  help: { type: "boolean", short: "h" },
  durable: { type: "boolean" },
};
const resumeOptions: OptionSpecs = {
  json: { type: "boolean" },
  "no-progress": { type: "boolean" },
  "grace-ms": { type: "string" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};
const planOptions: OptionSpecs = { json: { type: "boolean" }, help: { type: "boolean", short: "h" } };
const workerOptions: OptionSpecs = {
  redis: { type: "string" },
  exports: { type: "string" },
  concurrency: { type: "string" },
  prefetch: { type: "string" },
  "lease-ms": { type: "string" },
  "max-deliveries": { type: "string" },
  "max-outage-ms": { type: "string" },
  prefix: { type: "string" },
  name: { type: "string" },
  "grace-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
};
const topOptions: OptionSpecs = {
  address: { type: "string" },
  db: { type: "string" },
  "interval-ms": { type: "string" },
  once: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};
const dashboardOptions: OptionSpecs = {
  db: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "allow-remote": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};
const commands = ["run", "plan", "worker", "help", "runs", "dlq", "resume", "top", "dashboard"];

/**
 * Parses `weir`'s arguments with `node:util` `parseArgs` in strict mode: an unknown option, a
 * value where none is taken (or none where one is needed), a missing or extra file, or an
 * unknown command throw a {@link UsageError} that names it (with a "did you mean" when close).
 * Options may come before or after the file (`weir run --json file.ts`).
 */
export function parseCommand(args: readonly string[]): CliCommand {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError("weir", "no command given");
  if (first.startsWith("-")) {
    const { values, positionals } = parse("weir", args, globalOptions);
    if (positionals.length > 0) throw new UsageError("weir", `options go after the command, as in "weir run --help"`);
    if (values.version === true) return { kind: "version" };
    return { kind: "help", topic: "weir" };
  }
  if (first === "help") {
    const { positionals } = parse("help", rest, {});
    const topic = positionals[0];
    if (topic === undefined) return { kind: "help", topic: "weir" };
    if (topic === "dashboard" && positionals.length === 1) return { kind: "help", topic };
    if (topic === "runs" || topic === "dlq") return { kind: "help", topic };
    if (
      positionals.length > 1 ||
      (topic !== "run" && topic !== "plan" && topic !== "worker" && topic !== "resume" && topic !== "top")
    )
      throw new UsageError(
        "help",
        `no help for "${positionals.join(" ")}": try "weir help run", "weir help plan" or "weir help worker"`,
      );
    return { kind: "help", topic };
  }
  if (first === "run") {
    const { values, positionals } = parse("run", rest, runOptions);
    if (values.help === true) return { kind: "help", topic: "run" };
    return {
      kind: "run",
      file: oneFile("run", positionals),
      json: values.json === true,
      progress: values["no-progress"] !== true,
      graceMs: graceMs(values["grace-ms"]),
      metricsPort: port(values["metrics-port"], "run", "metrics-port"),
      ...(values.durable === true ? { durable: { resume: undefined, force: false } } : {}),
    };
  }
  if (first === "resume") {
    const { values, positionals } = parse("resume", rest, resumeOptions);
    if (values.help === true) return { kind: "help", topic: "resume" };
    if (positionals.length !== 2)
      throw new UsageError("resume", `a run id and a file expected, received ${positionals.length} arguments`);
    return {
      kind: "run",
      file: positionals[1]!,
      json: values.json === true,
      progress: values["no-progress"] !== true,
      graceMs: graceMs(values["grace-ms"], "resume"),
      durable: { resume: positionals[0]!, force: values.force === true },
      metricsPort: undefined,
    };
  }
  if (first === "plan") {
    const { values, positionals } = parse("plan", rest, planOptions);
    if (values.help === true) return { kind: "help", topic: "plan" };
    return { kind: "plan", file: oneFile("plan", positionals), json: values.json === true };
  }
  if (first === "worker") return workerCommand(rest);
  if (first === "runs" || first === "dlq") {
    const parsed = parseStoreCommand(first, rest);
    return "help" in parsed ? { kind: "help", topic: parsed.help } : parsed;
  }
  if (first === "top") return topCommand(rest);
  if (first === "dashboard") return dashboardCommand(rest);
  const guess = closestName(first, commands);
  throw new UsageError("weir", `unknown command "${first}"${guess === undefined ? "" : ` (did you mean "${guess}"?)`}`);
}

/** Strict `parseArgs` for `command`: a refused option is a {@link UsageError} naming it. */
export function parse(
  command: string,
  args: readonly string[],
  options: OptionSpecs,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw explain(command, args, options, error);
  }
}

/** Why strict parsing refused `args`, said about the offending option. */
function explain(command: string, args: readonly string[], options: OptionSpecs, error: unknown): UsageError {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const spec = options[token.name];
    if (spec === undefined) {
      const names = Object.keys(options);
      const guess = token.rawName.startsWith("--") ? closestName(token.name, names) : undefined;
      return new UsageError(
        command,
        `unknown option ${token.rawName}${guess === undefined ? "" : ` (did you mean --${guess}?)`}`,
      );
    }
    if (spec.type === "boolean" && token.value !== undefined)
      return new UsageError(command, `option ${token.rawName} takes no value, received "${token.value}"`);
    if (spec.type === "string" && token.value === undefined)
      return new UsageError(command, `option ${token.rawName} needs a value`);
  }
  return new UsageError(command, error instanceof Error ? error.message : String(error));
}

function oneFile(command: string, positionals: readonly string[]): string {
  if (positionals.length === 0) throw new UsageError(command, "no file given");
  if (positionals.length > 1)
    throw new UsageError(
      command,
      `one file expected, received ${positionals.length}: ${positionals.map((p) => `"${p}"`).join(", ")}`,
    );
  return positionals[0]!;
}

function graceMs(value: string | boolean | undefined, command = "run"): number {
  if (value === undefined) return DEFAULT_GRACE_MS;
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new UsageError(
      command,
      `option --grace-ms: expected a non-negative integer (ms), received "${String(value)}"`,
    );
  return Number(value);
}

function workerCommand(args: readonly string[]): CliCommand {
  const { values, positionals } = parse("worker", args, workerOptions);
  if (values.help === true) return { kind: "help", topic: "worker" };
  if (positionals.length === 0) throw new UsageError("worker", "no module given");
  const redis = values.redis ?? process.env.WEIR_REDIS_URL;
  if (typeof redis !== "string" || redis === "")
    throw new UsageError("worker", "no Redis given: pass --redis <url> or set WEIR_REDIS_URL");
  const exportList = values.exports;
  const exports =
    typeof exportList === "string"
      ? exportList
          .split(",")
          .map((e) => e.trim())
          .filter((e) => e !== "")
      : undefined;
  if (exports !== undefined && exports.length === 0)
    throw new UsageError(
      "worker",
      `option --exports: expected export names separated by commas, received "${String(exportList)}"`,
    );
  const text = (v: string | boolean | undefined): string | undefined => (typeof v === "string" ? v : undefined);
  return {
    kind: "worker",
    modules: positionals,
    redis,
    exports,
    concurrency: positive(values.concurrency, "concurrency"),
    prefetch: positive(values.prefetch, "prefetch"),
    leaseMs: positive(values["lease-ms"], "lease-ms"),
    maxDeliveries: positive(values["max-deliveries"], "max-deliveries"),
    maxOutageMs: positive(values["max-outage-ms"], "max-outage-ms"),
    prefix: text(values.prefix),
    name: text(values.name),
    graceMs: graceMs(values["grace-ms"], "worker"),
  };
}

function positive(value: string | boolean | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1)
    throw new UsageError("worker", `option --${option}: expected a positive integer, received "${String(value)}"`);
  return Number(value);
}

/** A port option: 0 to 65535 (0 picks a free one); undefined when not given. */
function port(value: string | boolean | undefined, command: string, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value) || Number(value) > 65535)
    throw new UsageError(
      command,
      `option --${option}: expected a port number (0 to 65535), received "${String(value)}"`,
    );
  return Number(value);
}

function topCommand(args: readonly string[]): CliCommand {
  const { values, positionals } = parse("top", args, topOptions);
  if (values.help === true) return { kind: "help", topic: "top" };
  if (positionals.length > 0) throw new UsageError("top", `no file is taken, received "${positionals[0]}"`);
  const address = values.address;
  if (typeof address === "string" && !URL.canParse(address))
    throw new UsageError(
      "top",
      `option --address: expected a URL (http://127.0.0.1:<port>/?token=…), received "${address}"`,
    );
  const interval = values["interval-ms"];
  if (interval !== undefined && (typeof interval !== "string" || !/^\d+$/.test(interval) || Number(interval) < 100))
    throw new UsageError(
      "top",
      `option --interval-ms: expected an integer of 100 or more, received "${String(interval)}"`,
    );
  return {
    kind: "top",
    address: typeof address === "string" ? address : undefined,
    db: typeof values.db === "string" ? values.db : undefined,
    intervalMs: interval === undefined ? 1000 : Number(interval),
    once: values.once === true,
  };
}

function dashboardCommand(args: readonly string[]): CliCommand {
  const { values, positionals } = parse("dashboard", args, dashboardOptions);
  if (values.help === true) return { kind: "help", topic: "dashboard" };
  if (positionals.length > 1)
    throw new UsageError(
      "dashboard",
      `one job module at most, received ${positionals.map((p) => `"${p}"`).join(", ")}`,
    );
  const port = values.port;
  if (port !== undefined && (typeof port !== "string" || !/^\d+$/.test(port) || Number(port) > 65535))
    throw new UsageError("dashboard", `option --port: expected 0 to 65535, received "${String(port)}"`);
  const host = typeof values.host === "string" ? values.host : "127.0.0.1";
  return {
    kind: "dashboard",
    file: positionals[0],
    db: typeof values.db === "string" ? values.db : undefined,
    port: port === undefined ? 0 : Number(port),
    host,
    allowRemote: values["allow-remote"] === true,
  };
}
