// Little-endian binary encoding into a buffer sized up front, so a whole batch is one allocation.

const TWO_32 = 2 ** 32;

export class ByteWriter {
  readonly buffer: Buffer;
  position = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  u8(value: number): void {
    this.buffer[this.position++] = value;
  }

  u32(value: number): void {
    this.buffer.writeUInt32LE(value, this.position);
    this.position += 4;
  }

  /** An unsigned integer up to Number.MAX_SAFE_INTEGER, as two 32-bit halves. */
  u64(value: number): void {
    this.buffer.writeUInt32LE(value >>> 0, this.position);
    this.buffer.writeUInt32LE(Math.floor(value / TWO_32), this.position + 4);
    this.position += 8;
  }

  bytes(value: Uint8Array): void {
    this.buffer.set(value, this.position);
    this.position += value.length;
  }

  /** UTF-8 with a 16-bit length prefix; size it with `stringSize`. */
  string(value: string): void {
    const length = this.buffer.write(value, this.position + 2, 'utf8');
    this.buffer.writeUInt16LE(length, this.position);
    this.position += 2 + length;
  }
}

export function stringSize(value: string): number {
  return 2 + Buffer.byteLength(value, 'utf8');
}
