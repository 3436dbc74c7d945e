/** Bytes of a frame's length header (a 32-bit unsigned little-endian integer). */
export const HEADER_BYTES = 4;

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into length-prefixed frames, in linear time and memory whatever the frame
 * size: a frame that lies whole in one chunk is handed over as a view of it (no copy); one split
 * over chunks is copied once, chunk by chunk as they arrive, into a buffer of the length its
 * header declared, so no chunk is held and no byte is copied twice. That length is checked
 * against `maxBytes` before anything is allocated for it; a stream that declares more is
 * reported (`onOversized`) and read no further.
 */
export class FrameReader {
  readonly #maxBytes: number;
  /** The header being read, when it came split over chunks; `#headerFilled` bytes of it so far. */
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #headerFilled = 0;
  /** The body being filled, when it came split over chunks; `#bodyFilled` bytes of it so far. */
  #body: Buffer | undefined;
  #bodyFilled = 0;
  #stopped = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes received and not yet delivered as frames (a partial header or body). */
  get buffered(): number {
    return this.#headerFilled + this.#bodyFilled;
  }

  /**
   * Takes a chunk of the stream; calls `onFrame` with each frame body it completes, in order
   * (an empty body for a frame of length 0). When a header declares more than `maxBytes`, calls
   * `onOversized` with the declared length, drops what it holds and ignores the rest of the stream.
   * Stops at once, mid-chunk, when {@link stop} is called (from a callback too).
   */
  push(chunk: Buffer, onFrame: (body: Buffer) => void, onOversized: (declared: number) => void): void {
    let at = 0;
    while (!this.#stopped && at < chunk.length) {
      const body = this.#body;
      if (body !== undefined) {
        const n = Math.min(body.length - this.#bodyFilled, chunk.length - at);
        chunk.copy(body, this.#bodyFilled, at, at + n);
        this.#bodyFilled += n;
        at += n;
        if (this.#bodyFilled < body.length) return;
        this.#body = undefined;
        this.#bodyFilled = 0;
        onFrame(body);
        continue;
      }
      let declared: number;
      if (this.#headerFilled === 0 && chunk.length - at >= HEADER_BYTES) {
        declared = chunk.readUInt32LE(at);
        at += HEADER_BYTES;
      } else {
        const n = Math.min(HEADER_BYTES - this.#headerFilled, chunk.length - at);
        chunk.copy(this.#header, this.#headerFilled, at, at + n);
        this.#headerFilled += n;
        at += n;
        if (this.#headerFilled < HEADER_BYTES) return;
        this.#headerFilled = 0;
        declared = this.#header.readUInt32LE(0);
      }
      if (declared > this.#maxBytes) {
        this.stop();
        onOversized(declared);
        return;
      }
      if (chunk.length - at >= declared) {
        const whole = declared === 0 ? EMPTY : chunk.subarray(at, at + declared);
        at += declared;
        onFrame(whole);
      } else {
        // allocated once the header is judged; pages are committed as the bytes arrive
        this.#body = Buffer.allocUnsafe(declared);
      }
    }
  }

  /** Drops what is held and ignores every later chunk. */
  stop(): void {
    this.#stopped = true;
    this.#body = undefined;
    this.#bodyFilled = 0;
    this.#headerFilled = 0;
  }
}
