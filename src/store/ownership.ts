import { randomUUID } from "../load/onFirstUse.js";
import { hostname } from "node:os";
import type { RunOwner } from "./RunRecord.js";

/** A fresh owner identity for one store instance of this process. */
export function newOwner(): RunOwner {
  return { id: randomUUID(), pid: process.pid, host: hostname() };
}

/**
 * Whether an owner recorded on a run is still alive, as far as this process can tell: on this host
 * its pid must exist and its heartbeat be within the lease (a stopped or hung process loses the
 * run after `leaseMs`; a killed one at once); on another host, the heartbeat alone decides.
 */
export function ownerAlive(owner: RunOwner, heartbeatAt: number | undefined, now: number, leaseMs: number): boolean {
  const fresh = heartbeatAt !== undefined && now - heartbeatAt < leaseMs;
  if (owner.host !== hostname()) return fresh;
  return fresh && pidAlive(owner.pid);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
