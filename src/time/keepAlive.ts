/**
 * Keeps the process alive while something holds it. weir's timers are unref'd (a forgotten
 * limiter or breaker must never keep a process running), so a run that is only waiting — on a
 * retry backoff, a rate limit, an open breaker, a batch window — would otherwise let Node exit
 * under an unsettled `await`. A run holds the process from start until it settles, as pending
 * I/O would. One ref'd timer serves every holder.
 */
let holders = 0;
let timer: NodeJS.Timeout | undefined;

/** Holds the process alive; call the returned function (once; later calls do nothing) to let go. */
export function keepAlive(): () => void {
  if (holders++ === 0) timer = setInterval(noop, 0x7fffffff);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--holders === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** How many holders there are now (for tests). */
export function keepAliveHolders(): number {
  return holders;
}

function noop(): void {}
