import type Database from "better-sqlite3";
import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { func, knownKeys, nonEmptyString, plainObject } from "../../options/validate.js";
import { activeRun } from "../../run/durable/activeRuns.js";
import type { StageContext } from "../../stage/StageContext.js";
import { engine } from "../../load/engines.js";

/** A value SQLite can store in a column (what better-sqlite3 binds). */
export type SqliteValue = string | number | bigint | Uint8Array | null;

/** Options of {@link sqliteSink}: a table and a row per item, or a write function of your own. */
export type SqliteSinkOptions<T> =
  | {
      /** The table (created when missing: `key TEXT PRIMARY KEY` then `columns`, untyped). */
      readonly table: string;
      /** Its columns besides `key`, in the order `row` gives their values. */
      readonly columns: readonly string[];
      /** The values of an item's row, one per column. */
      readonly row: (item: T, ctx: StageContext) => readonly SqliteValue[];
    }
  | {
      /**
       * Writes the item with the store's connection, inside the commit group's transaction (use
       * `key` as the row's key, and an upsert, so a replayed item rewrites its row). Called when
       * the group commits, not when the item arrives: it must not read anything but its arguments.
       */
      readonly write: (db: Database.Database, item: T, key: string) => void;
    };

/**
 * A sink that writes each item into the durable run's own SQLite file, **in the transaction of
 * the group commit that checkpoints the run**: a row is committed together with the checkpoint
 * that covers its item, or not at all (a kill loses both). Rows are keyed on `ctx.key` and
 * upserted, so an item that runs again after a resume (it was past the last checkpoint) rewrites
 * its row instead of adding one: after any number of kills and resumes the table holds exactly
 * one row per item. Needs a durable run on a `sqliteStore()` (`run({ store })`).
 *
 * @example
 * ```ts
 * import { sqliteStore, sqliteSink } from "weir/sqlite";
 * const store = sqliteStore();
 * await pipeline("digest").from(files).map(parse)
 *   .sink(sqliteSink({ table: "docs", columns: ["title", "words"], row: (d) => [d.title, d.words] }))
 *   .run({ store });
 * ```
 */
export function sqliteSink<T>(options: SqliteSinkOptions<T>): (item: T, ctx: StageContext) => void {
  const where = "sqliteSink()";
  const o = plainObject(options, "options", where);
  const write =
    "write" in o
      ? func<(db: Database.Database, item: T, key: string) => void>(o["write"], "write", where)
      : tableWriter<T>(o, where);
  const row = "row" in o ? (o["row"] as (item: T, ctx: StageContext) => readonly SqliteValue[]) : undefined;
  return (item: T, ctx: StageContext): void => {
    const key = ctx.key;
    const handle = key === undefined ? undefined : runOfKey(key);
    if (key === undefined || handle === undefined) {
      throw new InvalidOptionError(
        "store",
        "a durable run (run({ store: sqliteStore() }))",
        "a run without a store",
        `${where} in stage "${ctx.stage}"`,
      );
    }
    if (!(handle instanceof engine("store").ClaimedRun) || handle.storeLocation === ":memory:") {
      throw new InvalidOptionError(
        "store",
        "sqliteStore() (the rows go into its file)",
        "memoryStore()",
        `${where} in stage "${ctx.stage}"`,
      );
    }
    if (row === undefined) {
      handle.writeWith((db) => write(db as Database.Database, item, key));
      return;
    }
    const values = row(item, ctx); // at once: it may read ctx, which is the item's only now
    handle.writeWith((db) => write(db as Database.Database, values as never, key));
  };
}

/** The write of the `{ table, columns, row }` form: creates the table once, then upserts. */
function tableWriter<T>(
  o: Record<string, unknown>,
  where: string,
): (db: Database.Database, item: T, key: string) => void {
  knownKeys(o, ["table", "columns", "row"], "", where);
  const table = nonEmptyString(o["table"], "table", where);
  if (!Array.isArray(o["columns"]))
    throw new InvalidOptionError("columns", "an array of column names", o["columns"], where);
  const columns = (o["columns"] as unknown[]).map((c, i) => nonEmptyString(c, `columns[${i}]`, where));
  func(o["row"], "row", where);
  if (columns.includes("key"))
    throw new InvalidOptionError("columns", "columns other than key (weir adds it)", columns, where);
  const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  const create = `CREATE TABLE IF NOT EXISTS ${q(table)} (key TEXT PRIMARY KEY${columns.map((c) => `, ${q(c)}`).join("")})`;
  const insert =
    `INSERT INTO ${q(table)} (key${columns.map((c) => `, ${q(c)}`).join("")}) VALUES (?${", ?".repeat(columns.length)})` +
    (columns.length === 0
      ? " ON CONFLICT (key) DO NOTHING"
      : ` ON CONFLICT (key) DO UPDATE SET ${columns.map((c) => `${q(c)} = excluded.${q(c)}`).join(", ")}`);
  const statements = new WeakMap<Database.Database, Database.Statement>();
  return (db, values, key) => {
    let statement = statements.get(db);
    if (statement === undefined) {
      db.exec(create);
      statement = db.prepare(insert);
      statements.set(db, statement);
    }
    statement.run(key, ...(values as unknown as SqliteValue[]));
  };
}

/** The live run an item key belongs to: `<runId>/<index>`, or `<runId>/<source>/<position>` (several sources). */
function runOfKey(key: string): ReturnType<typeof activeRun> {
  let end = key.lastIndexOf("/");
  for (let tries = 0; tries < 2 && end > 0; tries++) {
    const handle = activeRun(key.slice(0, end));
    if (handle !== undefined) return handle;
    end = key.lastIndexOf("/", end - 1);
  }
  return undefined;
}
