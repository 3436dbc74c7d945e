/** A resource held by any number of holders: started by the first, stopped when the last lets go. */
export interface SharedHold {
  /** Holds the resource (starting it if nothing held it); call the returned function once to let go. */
  hold(): () => void;
  /** How many hold it now. */
  readonly holders: number;
}

/** A {@link SharedHold} over `start` and `stop`. Letting go twice counts once. */
export function sharedHold(start: () => void, stop: () => void): SharedHold {
  let holders = 0;
  return {
    hold() {
      if (holders++ === 0) start();
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        if (--holders === 0) stop();
      };
    },
    get holders() {
      return holders;
    },
  };
}
