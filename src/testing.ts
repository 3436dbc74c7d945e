/**
 * weir/testing: tools for your own tests of code that uses weir. A deterministic clock, and fault
 * injection: make a stage fail, hang or slow down on chosen items ({@link faults}), or crash its
 * worker thread or child process ({@link poolFaults}).
 *
 * ```ts
 * import { faults, poolFaults, ManualClock } from "weir/testing";
 * ```
 * @packageDocumentation
 */
export { ManualClock } from "./time/ManualClock.js";
export { faults, type FaultOptions, type FaultWrapper } from "./testing/faults.js";
export { poolFaults, type PoolFaultPlan } from "./testing/poolFaults.js";
export type { FaultPlan } from "./testing/FaultPlan.js";
export { InjectedFaultError } from "./errors/InjectedFaultError.js";
