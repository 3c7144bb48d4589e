// Reads a peer frame (layout in codec.ts). Every read is checked against the bytes left before
// anything is allocated, so a hostile length or count fails fast with a CodecError.
import { CodecError } from './codec-error.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Up to this length, ASCII strings are decoded by hand: node ids and contexts are short, and a
// call into TextDecoder costs more than the loop.
const SHORT_STRING_BYTES = 64;

export class FrameReader {
  private position = 0;
  private readonly input: Uint8Array;

  /**
   * Reads a copy of `frame`, and `bytes()` hands out views into that copy: one allocation per
   * frame instead of one per entry (each costs microseconds), and nothing decoded aliases the
   * caller's buffer.
   */
  constructor(frame: Uint8Array) {
    this.input = new Uint8Array(frame);
  }

  u8(what: string): number {
    if (this.position >= this.input.length) this.fail(`${what}: frame ends early`);
    return this.input[this.position++];
  }

  flag(what: string): boolean {
    const value = this.u8(what);
    if (value > 1) this.fail(`${what}: must be 0 or 1, got ${value}`);
    return value === 1;
  }

  u32(what: string): number {
    if (this.left() < 4) this.fail(`${what}: frame ends early`);
    const input = this.input;
    const at = this.position;
    this.position += 4;
    return (input[at] | (input[at + 1] << 8) | (input[at + 2] << 16) | (input[at + 3] << 24)) >>> 0;
  }

  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) this.fail(`${what}: ${value} exceeds 2^53-1`);
        return value;
      }
      scale *= 0x80;
    }
    return this.fail(`${what}: varint longer than 8 bytes`);
  }

  /** A count of items that each take at least `minItemBytes`; it must fit in the bytes left. */
  count(what: string, minItemBytes: number): number {
    const count = this.varint(what);
    if (count * minItemBytes > this.left()) this.fail(`${what}: ${count} cannot fit in the ${this.left()} bytes left`);
    return count;
  }

  string(what: string): string {
    const length = this.length(what);
    const start = this.position;
    this.position += length;
    const input = this.input;
    if (length <= SHORT_STRING_BYTES) {
      let text = '';
      for (let i = start; i < start + length; i++) {
        if (input[i] >= 0x80) return this.decodeUtf8(what, start, length);
        text += String.fromCharCode(input[i]);
      }
      return text;
    }
    return this.decodeUtf8(what, start, length);
  }

  /** A view into this reader's copy of the frame. */
  bytes(what: string): Uint8Array {
    const length = this.length(what);
    const data = new Uint8Array(this.input.buffer, this.input.byteOffset + this.position, length);
    this.position += length;
    return data;
  }

  finish(): void {
    if (this.left() !== 0) this.fail(`${this.left()} unexpected bytes after the end of the frame`);
  }

  fail(message: string): never {
    throw new CodecError(`malformed peer frame at byte ${this.position}: ${message}`);
  }

  private left(): number {
    return this.input.length - this.position;
  }

  private length(what: string): number {
    const length = this.varint(`${what} length`);
    if (length > this.left()) this.fail(`${what}: length ${length} exceeds the ${this.left()} bytes left`);
    return length;
  }

  private decodeUtf8(what: string, start: number, length: number): string {
    try {
      return utf8.decode(this.input.subarray(start, start + length));
    } catch {
      this.position = start;
      return this.fail(`${what}: not valid UTF-8`);
    }
  }
}
