import { parse } from "../parseCommand.js";
import { UsageError } from "../UsageError.js";

/** The filters of `weir dlq ls|replay|purge`. */
export interface DlqFilterArgs {
  readonly pipeline: string | undefined;
  readonly workflow: string | undefined;
  readonly run: string | undefined;
  readonly stage: string | undefined;
  readonly code: string | undefined;
  /** Wall-clock ms. */
  readonly since: number | undefined;
}

/** `weir runs …` and `weir dlq …`: commands on the durable store. */
export type StoreCommand =
  | { readonly kind: "runs"; readonly db: string | undefined; readonly json: boolean; readonly limit: number }
  | { readonly kind: "runs-show"; readonly db: string | undefined; readonly json: boolean; readonly id: string }
  | {
      readonly kind: "dlq-ls";
      readonly db: string | undefined;
      readonly json: boolean;
      readonly filter: DlqFilterArgs;
      readonly replayed: boolean;
      readonly limit: number;
    }
  | { readonly kind: "dlq-show"; readonly db: string | undefined; readonly json: boolean; readonly id: number }
  | {
      readonly kind: "dlq-replay";
      readonly db: string | undefined;
      readonly json: boolean;
      readonly ids: readonly number[];
      readonly all: boolean;
      readonly filter: DlqFilterArgs;
      readonly file: string;
      readonly edit: string | undefined;
    }
  | {
      readonly kind: "dlq-purge";
      readonly db: string | undefined;
      readonly json: boolean;
      readonly ids: readonly number[];
      readonly all: boolean;
      readonly filter: DlqFilterArgs;
      readonly replayed: boolean;
    };

const common = {
  db: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;
const filters = {
  pipeline: { type: "string" },
  workflow: { type: "string" },
  run: { type: "string" },
  stage: { type: "string" },
  code: { type: "string" },
  since: { type: "string" },
} as const;

/**
 * Parses `weir runs [show <id>]` and `weir dlq <ls|show|replay|purge>`; returns a help request
 * (`{ help: topic }`) for `--help` or no subcommand where one is needed.
 */
export function parseStoreCommand(
  command: "runs" | "dlq",
  args: readonly string[],
): StoreCommand | { readonly help: "runs" | "dlq" } {
  if (command === "runs") {
    const { values, positionals } = parse("runs", args, { ...common, limit: { type: "string" } });
    if (values.help === true) return { help: "runs" };
    const db = text(values.db);
    const json = values.json === true;
    if (positionals.length === 0) return { kind: "runs", db, json, limit: count(values.limit, "runs", "limit", 50) };
    if (positionals[0] === "show" && positionals.length === 2)
      return { kind: "runs-show", db, json, id: positionals[1]! };
    throw new UsageError("runs", `expected "weir runs" or "weir runs show <id>", received "${positionals.join(" ")}"`);
  }
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h") return { help: "dlq" };
  if (sub === "ls") {
    const { values, positionals } = parse("dlq", rest, {
      ...common,
      ...filters,
      replayed: { type: "boolean" },
      limit: { type: "string" },
    });
    if (values.help === true) return { help: "dlq" };
    if (positionals.length > 0)
      throw new UsageError("dlq", `"weir dlq ls" takes no arguments, received "${positionals[0]}"`);
    return {
      kind: "dlq-ls",
      db: text(values.db),
      json: values.json === true,
      filter: filterOf(values),
      replayed: values.replayed === true,
      limit: count(values.limit, "dlq", "limit", 100),
    };
  }
  if (sub === "show") {
    const { values, positionals } = parse("dlq", rest, common);
    if (values.help === true) return { help: "dlq" };
    if (positionals.length !== 1) throw new UsageError("dlq", `"weir dlq show" takes one dead-letter id`);
    return { kind: "dlq-show", db: text(values.db), json: values.json === true, id: idOf(positionals[0]!) };
  }
  if (sub === "replay" || sub === "purge") {
    const { values, positionals } = parse("dlq", rest, {
      ...common,
      ...filters,
      all: { type: "boolean" },
      ...(sub === "replay"
        ? { file: { type: "string" }, edit: { type: "string" } }
        : { replayed: { type: "boolean" } }),
    });
    if (values.help === true) return { help: "dlq" };
    const ids = positionals.map(idOf);
    const filter = filterOf(values);
    const all = values.all === true;
    const filtered = Object.values(filter).some((v) => v !== undefined);
    if (ids.length > 0 && (all || filtered))
      throw new UsageError("dlq", `give dead-letter ids, or --all with filters, not both`);
    if (ids.length === 0 && !all)
      throw new UsageError("dlq", `name the dead letters: ids (weir dlq ${sub} 3 7), or --all [filters]`);
    const db = text(values.db);
    const json = values.json === true;
    if (sub === "purge") return { kind: "dlq-purge", db, json, ids, all, filter, replayed: values.replayed === true };
    const file = text(values.file);
    if (file === undefined)
      throw new UsageError("dlq", "replay needs the job that made the dead letters: --file <job.ts>");
    const edit = text(values.edit);
    if (edit !== undefined && ids.length !== 1)
      throw new UsageError("dlq", "--edit replaces the item of one dead letter: give one id");
    return { kind: "dlq-replay", db, json, ids, all, filter, file, edit };
  }
  throw new UsageError("dlq", `unknown subcommand "${sub}": ls, show, replay or purge`);
}

function text(v: string | boolean | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function idOf(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError("dlq", `expected a dead-letter id (a positive integer), received "${value}"`);
  return Number(value);
}

function count(value: string | boolean | undefined, command: string, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(command, `option --${option}: expected a positive integer, received "${String(value)}"`);
  return Number(value);
}

function filterOf(values: Record<string, string | boolean | undefined>): DlqFilterArgs {
  return {
    pipeline: text(values.pipeline),
    workflow: text(values.workflow),
    run: text(values.run),
    stage: text(values.stage),
    code: text(values.code),
    since: sinceOf(text(values.since)),
  };
}

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a duration back from now (`30m`, `2h`, `7d`), or a date (`2026-12-01`, ISO 8601). */
function sinceOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative !== null) return Date.now() - Number(relative[1]) * units[relative[2]!]!;
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new UsageError(
      "dlq",
      `option --since: expected a duration (30m, 2h, 7d) or a date (2026-12-01), received "${value}"`,
    );
  return at;
}
