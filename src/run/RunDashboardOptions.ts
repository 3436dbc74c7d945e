import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { isLoopback } from "../options/isLoopback.js";
import { boolean, knownKeys, nonEmptyString, nonNegativeInt, plainObject } from "../options/validate.js";

/**
 * The `dashboard` option of `run()`: where the dashboard beside the run listens. Every run of the
 * process given the option shares one dashboard (the first one's address wins).
 */
export interface RunDashboardOptions {
  /** The port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The address; anything but loopback needs `allowRemote: true` (and prints a warning). @default "127.0.0.1" */
  readonly host?: string;
  /** Allows a `host` other than a loopback address. @default false */
  readonly allowRemote?: boolean;
}

/** Checks the `dashboard` option of `run()`: true, false, or {@link RunDashboardOptions}. */
export function checkRunDashboard(value: unknown, where: string): boolean | RunDashboardOptions {
  if (typeof value === "boolean") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new InvalidOptionError("dashboard", "true, false, or { port, host, allowRemote }", value, where);
  const o = plainObject(value, "dashboard", where);
  knownKeys(o, ["port", "host", "allowRemote"], "dashboard", where);
  if (o["port"] !== undefined && nonNegativeInt(o["port"], "dashboard.port", where) > 65535)
    throw new InvalidOptionError("dashboard.port", "0 (a free port) or a port up to 65535", o["port"], where);
  const host = o["host"] === undefined ? "127.0.0.1" : nonEmptyString(o["host"], "dashboard.host", where);
  const remote = o["allowRemote"] === undefined ? false : boolean(o["allowRemote"], "dashboard.allowRemote", where);
  if (!isLoopback(host) && !remote)
    throw new InvalidOptionError(
      "dashboard.host",
      "a loopback address (127.0.0.1, ::1, localhost), or dashboard.allowRemote: true",
      host,
      where,
    );
  return o as RunDashboardOptions;
}
