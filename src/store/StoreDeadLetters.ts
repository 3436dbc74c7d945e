import {
  boolean,
  knownKeys,
  nonEmptyString,
  nonNegativeInt,
  oneOf,
  plainObject,
  positiveInt,
} from "../options/validate.js";
import type { DeadLetterFilter, DeadLetterPage, DeadLetterPaging, DeadLetterRecord } from "./DeadLetterRecord.js";
import type { DeadLetters } from "./DeadLetters.js";
import { deadLetter } from "./decodeRows.js";
import type { RunHost } from "./RunHost.js";

const filterKeys = ["runId", "runKind", "runName", "stage", "code", "since", "replayed"] as const;

/** The {@link DeadLetters} of both stores: validates filters, commits what is queued, reads the backend. */
export class StoreDeadLetters implements DeadLetters {
  readonly #host: RunHost;

  constructor(host: RunHost) {
    this.#host = host;
  }

  async list(filter: DeadLetterFilter & DeadLetterPaging = {}): Promise<DeadLetterPage> {
    const where = "deadLetters.list";
    const given = checkFilter(filter, where, ["after", "limit"]);
    const after = given["after"] === undefined ? 0 : nonNegativeInt(given["after"], "after", where);
    const limit = given["limit"] === undefined ? 100 : positiveInt(given["limit"], "limit", where);
    await this.#ready(where);
    const rows = this.#host.backend.listDeadLetters(filter, after, limit + 1);
    const records = rows.slice(0, limit).map((row) => deadLetter(this.#host.location, row));
    return { records, next: rows.length > limit ? records.at(-1)!.id : undefined };
  }

  async count(filter: DeadLetterFilter = {}): Promise<number> {
    checkFilter(filter, "deadLetters.count");
    await this.#ready("deadLetters.count");
    return this.#host.backend.countDeadLetters(filter);
  }

  async get(id: number): Promise<DeadLetterRecord | undefined> {
    positiveInt(id, "id", "deadLetters.get");
    await this.#ready("deadLetters.get");
    const row = this.#host.backend.readDeadLetter(id);
    return row === undefined ? undefined : deadLetter(this.#host.location, row);
  }

  async purge(selection: DeadLetterFilter & { readonly ids?: readonly number[] }): Promise<number> {
    const where = "deadLetters.purge";
    const given = checkFilter(selection, where, ["ids"]);
    const ids = given["ids"] === undefined ? undefined : checkIds(given["ids"], where);
    await this.#ready(where);
    return this.#host.backend.transaction("purge", () => this.#host.backend.purgeDeadLetters(selection, ids));
  }

  async markReplayed(ids: readonly number[], at?: number): Promise<number> {
    const where = "deadLetters.markReplayed";
    const checked = checkIds(ids, where);
    const when = at === undefined ? this.#host.now() : nonNegativeInt(at, "at", where);
    await this.#ready(where);
    return this.#host.backend.transaction("markReplayed", () => this.#host.backend.markReplayed(checked, when));
  }

  async #ready(operation: string): Promise<void> {
    this.#host.checkOpen(operation);
    await this.#host.commitAll();
  }
}

function checkFilter(filter: unknown, where: string, extra: readonly string[] = []): Record<string, unknown> {
  const given = plainObject(filter, "filter", where);
  knownKeys(given, [...filterKeys, ...extra], "", where);
  for (const key of ["runId", "runName", "stage", "code"] as const) {
    if (given[key] !== undefined) nonEmptyString(given[key], key, where);
  }
  if (given["runKind"] !== undefined) oneOf(given["runKind"], ["pipeline", "workflow"], "runKind", where);
  if (given["since"] !== undefined) nonNegativeInt(given["since"], "since", where);
  if (given["replayed"] !== undefined) boolean(given["replayed"], "replayed", where);
  return given;
}

function checkIds(value: unknown, where: string): number[] {
  if (!Array.isArray(value)) return [positiveInt(value, "ids", where)];
  return value.map((id: unknown, i) => positiveInt(id, `ids[${i}]`, where));
}
