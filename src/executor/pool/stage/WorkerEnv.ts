import { InvalidOptionError } from "../../../errors/InvalidOptionError.js";

/**
 * The environment variables a pool's workers get: `"inherit"` (the parent's `process.env` as it
 * is when each worker starts), an allow-list of names (those of the parent's variables, no
 * others), or an object (exactly these variables and values).
 */
export type WorkerEnv = "inherit" | readonly string[] | Readonly<Record<string, string>>;

/** A variable name Node and the OS accept: not empty, no `=`, no NUL. */
const NAME = /^[^=\0]+$/;

/** Validates the `env` pool option; a frozen copy, so later edits by the caller change nothing. */
export function workerEnvSetting(value: unknown, where?: string): WorkerEnv {
  if (value === "inherit") return value;
  if (Array.isArray(value)) {
    for (const name of value as unknown[]) {
      if (typeof name !== "string" || !NAME.test(name)) {
        throw new InvalidOptionError("pool.env", "variable names (strings without = or NUL)", name, where);
      }
    }
    return Object.freeze([...(value as string[])]);
  }
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(value)) {
      if (!NAME.test(name)) throw new InvalidOptionError("pool.env", "variable names without = or NUL", name, where);
      if (typeof v !== "string") throw new InvalidOptionError(`pool.env.${name}`, "a string", v, where);
      out[name] = v;
    }
    return Object.freeze(out);
  }
  throw new InvalidOptionError(
    "pool.env",
    '"inherit", an array of variable names, or an object of variables',
    value,
    where,
  );
}

/** The variables to start a worker with; undefined: the parent's own (Node's default). */
export function workerEnvVariables(env: WorkerEnv): Record<string, string> | undefined {
  if (env === "inherit") return undefined;
  if (!isNameList(env)) return { ...env };
  const out: Record<string, string> = {};
  for (const name of env) {
    const v = process.env[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** A stable key of the setting, for sharing pools between stages with equal options. */
export function workerEnvKey(env: WorkerEnv): string {
  if (env === "inherit") return env;
  if (isNameList(env)) return JSON.stringify(["allow", [...env].sort()]);
  return JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isNameList(env: WorkerEnv): env is readonly string[] {
  return Array.isArray(env);
}
