import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { func, nonEmptyString } from "../options/validate.js";
import type { Stream } from "./Stream.js";

const fragmentBrand = Symbol.for("weir.fragment");

/**
 * A named, reusable run of stages (a nested pipeline), defined once and applied to streams of
 * any pipeline with {@link Stream.through}. Its stages keep its identity: they are named
 * `<fragment>/<stage>` in stats, events and the plan, and carry it as `group` in the plan.
 */
export interface Fragment<I, O> {
  /** The fragment's name: what its stages are grouped under. */
  readonly name: string;
  /** @internal Adds the fragment's stages after `input`. */
  readonly build: (input: Stream<I>) => Stream<O>;
}

/**
 * Defines a fragment: `build` adds stages to the stream it is given and returns the stream they
 * end in. It is called each time the fragment is applied (so it can be used in several places,
 * and in several pipelines); the stages it adds are grouped under the fragment's name. Fusion
 * works across its edges as if its stages were written in line.
 *
 * @example
 * ```ts
 * const enrich = fragment("enrich", (s: Stream<Order>) =>
 *   s.map(parse, { name: "parse" }).filter(isPaid, { name: "paid" }),
 * );
 * pipeline<Order>("orders").from(read).through(enrich).to(write); // stages "enrich/parse", "enrich/paid"
 * ```
 */
export function fragment<I, O>(name: string, build: (input: Stream<I>) => Stream<O>): Fragment<I, O> {
  nonEmptyString(name, "name", "fragment()");
  if (name.includes("/")) throw new InvalidOptionError("name", "a name without '/'", name, "fragment()");
  func(build, "build", `fragment "${name}"`);
  const f: Fragment<I, O> = { name, build };
  Object.defineProperty(f, fragmentBrand, { value: true });
  return Object.freeze(f);
}

/** True when `value` was made by {@link fragment}. */
export function isFragment(value: unknown): value is Fragment<unknown, unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[fragmentBrand] === true;
}
