import type Database from "better-sqlite3";

/** A row as better-sqlite3 returns it. */
export type Row = Record<string, unknown>;

/** A prepared statement of the store's connection. */
export type Statement = Database.Statement<unknown[], Row>;
