import { sharedHold } from "./sharedHold.js";

/**
 * Keeps the process alive while something holds it. weir's timers are unref'd (a forgotten
 * limiter or breaker must never keep a process running), so a run that is only waiting — on a
 * retry backoff, a rate limit, an open breaker, a batch window — would otherwise let Node exit
 * under an unsettled `await`. A run holds the process from start until it settles, as pending
 * I/O would. One ref'd timer serves every holder.
 */
let timer: NodeJS.Timeout | undefined;
const processHold = sharedHold(
  () => {
    timer = setInterval(noop, 0x7fffffff);
  },
  () => {
    clearInterval(timer);
    timer = undefined;
  },
);

/** Holds the process alive; call the returned function (once; later calls do nothing) to let go. */
export function keepAlive(): () => void {
  return processHold.hold();
}

/** How many holders there are now (for tests). */
export function keepAliveHolders(): number {
  return processHold.holders;
}

function noop(): void {}
