import type { Packr } from "msgpackr";

/**
 * msgpackr settings shared by every weir wire: records (object shapes sent once, inline, in
 * order), typed arrays, Sets, Dates and BigInts, and Maps decoded as Maps, as structured clone
 * would. A fresh object each time: msgpackr keeps its record table on the options it is given.
 */
export const packrOptions = (): ConstructorParameters<typeof Packr>[0] => ({
  sequential: true,
  moreTypes: true,
  mapsAsObjects: false,
  // msgpackr would write a function as undefined; structured clone refuses it, and so do we
  writeFunction: () => {
    throw new TypeError("a function cannot cross to or from a worker");
  },
});
