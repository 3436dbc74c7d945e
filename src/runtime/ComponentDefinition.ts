import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { func, knownKeys, nonEmptyString, optional, plainObject, positiveNumber } from "../options/validate.js";
import { retryPolicy } from "../policy/retry.js";
import { componentDefaults, type ComponentSpec } from "./Component.js";
import { unhealthyPolicy, type UnhealthyPolicy } from "./UnhealthyPolicy.js";
import { optionKeys } from "../options/optionKeys.js";

/** A component's spec, validated, with every limit filled in. */
export interface ComponentDefinition {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly critical: boolean;
  /** Start priority among components whose dependencies are met (higher first). */
  readonly priority: number;
  /** The response to failing health checks, if any. */
  readonly onUnhealthy: UnhealthyPolicy | undefined;
  readonly spec: ComponentSpec<Record<string, unknown>, unknown>;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly healthTimeoutMs: number;
}

const specKeys = optionKeys<ComponentSpec<Record<string, unknown>, unknown>>()(
  "dependsOn",
  "critical",
  "start",
  "stop",
  "health",
  "startTimeoutMs",
  "stopTimeoutMs",
  "healthTimeoutMs",
  "retry",
  "priority",
  "onUnhealthy",
);

/**
 * Validates component `name`'s spec against the components defined before it (`known`): a
 * duplicate name, an unknown dependency or a bad option throws an `InvalidOptionError` naming it.
 */
export function componentDefinition(
  name: unknown,
  spec: unknown,
  known: ReadonlyMap<string, ComponentDefinition>,
): ComponentDefinition {
  const where = "runtime";
  const n = nonEmptyString(name, "component name", where);
  const at = `component "${n}"`;
  if (known.has(n)) throw new InvalidOptionError("component name", "a name no other component has", n, where);
  const o = plainObject(spec, "spec", at);
  knownKeys(o, specKeys, "", at);
  func(o.start, "start", at);
  if (o.stop !== undefined) func(o.stop, "stop", at);
  if (o.health !== undefined) func(o.health, "health", at);
  retryPolicy(o.retry, at);
  const onUnhealthy = optional(o.onUnhealthy, undefined, (v) => unhealthyPolicy(v, at));
  if (onUnhealthy !== undefined && o.health === undefined)
    throw new InvalidOptionError("onUnhealthy", "to be given with a health check (health)", onUnhealthy.action, at);
  const dependsOn = optional(o.dependsOn, [] as readonly string[], (v) => {
    if (!Array.isArray(v)) throw new InvalidOptionError("dependsOn", "an array of component names", v, at);
    return Object.freeze(
      v.map((d: unknown, i) => {
        if (typeof d !== "string" || !known.has(d))
          throw new InvalidOptionError(`dependsOn[${i}]`, "a component added before this one", d, at);
        return d;
      }),
    );
  });
  return Object.freeze({
    name: n,
    dependsOn,
    critical: optional(o.critical, componentDefaults.critical, (v) => {
      if (typeof v !== "boolean") throw new InvalidOptionError("critical", "true or false", v, at);
      return v;
    }),
    priority: optional(o.priority, componentDefaults.priority, (v) => {
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new InvalidOptionError("priority", "a finite number", v, at);
      return v;
    }),
    onUnhealthy,
    spec: spec as ComponentSpec<Record<string, unknown>, unknown>,
    startTimeoutMs: optional(o.startTimeoutMs, componentDefaults.startTimeoutMs, (v) =>
      positiveNumber(v, "startTimeoutMs", at),
    ),
    stopTimeoutMs: optional(o.stopTimeoutMs, componentDefaults.stopTimeoutMs, (v) =>
      positiveNumber(v, "stopTimeoutMs", at),
    ),
    healthTimeoutMs: optional(o.healthTimeoutMs, componentDefaults.healthTimeoutMs, (v) =>
      positiveNumber(v, "healthTimeoutMs", at),
    ),
  });
}
