/** Bytes of a frame's length header (a 32-bit unsigned little-endian integer). */
export const HEADER_BYTES = 4;

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into length-prefixed frames, in linear time and memory whatever the frame
 * size: chunks are kept as they arrive until the length a header declares is there, then copied
 * once into the frame (or not at all when one chunk holds the whole frame). The declared length
 * is checked against `maxBytes` before anything is allocated for it; a stream that declares more
 * is reported (`onOversized`) and read no further.
 */
export class FrameReader {
  readonly #maxBytes: number;
  /** Chunks not yet consumed, from `#head`; `#offset` bytes of the first are consumed. */
  #chunks: Array<Buffer | undefined> = [];
  #head = 0;
  #offset = 0;
  /** Bytes held in `#chunks` past `#offset`. */
  #buffered = 0;
  /** Length the current frame's header declared; -1 while its header is not read. */
  #need = -1;
  #stopped = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes received and not yet delivered as frames. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Takes a chunk of the stream; calls `onFrame` with each frame body it completes, in order
   * (an empty body for a frame of length 0). When a header declares more than `maxBytes`, calls
   * `onOversized` with the declared length, drops what it holds and ignores the rest of the stream.
   * Stops at once, mid-chunk, when {@link stop} is called (from a callback too).
   */
  push(chunk: Buffer, onFrame: (body: Buffer) => void, onOversized: (declared: number) => void): void {
    if (this.#stopped || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (!this.#stopped) {
      if (this.#need < 0) {
        if (this.#buffered < HEADER_BYTES) return;
        const declared = this.#take(HEADER_BYTES).readUInt32LE(0);
        if (declared > this.#maxBytes) {
          this.stop();
          onOversized(declared);
          return;
        }
        this.#need = declared;
      }
      if (this.#buffered < this.#need) return;
      const body = this.#take(this.#need);
      this.#need = -1;
      onFrame(body);
    }
  }

  /** Drops what is held and ignores every later chunk. */
  stop(): void {
    this.#stopped = true;
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#buffered = 0;
  }

  /** The next `n` bytes (`n` <= buffered): a view when one chunk holds them, else one copy. */
  #take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.#buffered -= n;
    const first = this.#chunks[this.#head]!;
    if (first.length - this.#offset >= n) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      if (this.#offset === first.length) this.#advance();
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head]!;
      const count = Math.min(chunk.length - this.#offset, n - filled);
      chunk.copy(out, filled, this.#offset, this.#offset + count);
      filled += count;
      this.#offset += count;
      if (this.#offset === chunk.length) this.#advance();
    }
    return out;
  }

  /** Drops the first chunk (fully consumed); compacts the list now and then. */
  #advance(): void {
    this.#chunks[this.#head++] = undefined;
    this.#offset = 0;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
