// Writes a peer frame into a buffer sized up front (layout in codec.ts), so that encoding a
// frame is one allocation and entry data is copied once.
import { utf8ByteLength } from '../../shared/protocol/utf8.ts';
import { CodecError } from './codec-error.ts';

/** Bytes of `value` as an unsigned LEB128 varint; 8 bytes hold any safe integer. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  if (value < 0x800000000) return 5;
  if (value < 0x40000000000) return 6;
  if (value < 0x2000000000000) return 7;
  return 8;
}

export function stringSize(text: string): number {
  const length = utf8ByteLength(text);
  return varintSize(length) + length;
}

export function bytesSize(data: Uint8Array): number {
  return varintSize(data.length) + data.length;
}

export class FrameWriter {
  readonly buffer: Buffer;
  private position = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  u8(value: number): void {
    this.buffer[this.position++] = value;
  }

  /** `what` names the field in the error when the value cannot travel. */
  varint(value: number, what: string): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new CodecError(`cannot encode ${what}: ${value} is not a non-negative safe integer`);
    const buffer = this.buffer;
    while (value >= 0x80) {
      buffer[this.position++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[this.position++] = value;
  }

  u32(value: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new CodecError(`cannot encode ${what}: ${value} is not an unsigned 32-bit integer`);
    this.buffer.writeUInt32LE(value, this.position);
    this.position += 4;
  }

  string(text: string): void {
    const length = utf8ByteLength(text);
    this.varint(length, 'string length');
    if (length === text.length) {
      // ASCII: a plain loop beats a call into the UTF-8 encoder for the short ids on every message.
      for (let i = 0; i < length; i++) this.buffer[this.position + i] = text.charCodeAt(i);
    } else {
      this.buffer.write(text, this.position, length, 'utf8');
    }
    this.position += length;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length, 'data length');
    this.buffer.set(data, this.position);
    this.position += data.length;
  }

  /** The finished frame; the size computed up front must have been exact. */
  finish(): Buffer {
    if (this.position !== this.buffer.length) throw new Error(`peer frame size miscomputed: wrote ${this.position} of ${this.buffer.length} bytes`);
    return this.buffer;
  }
}
