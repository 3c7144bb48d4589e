// Errors the storage layer raises on purpose. Their messages are meant for an operator: each
// names the file and, for damaged data, the byte offset.

/** A write-ahead log segment holds damaged or inconsistent data that cannot be a torn tail. */
export class WalCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`write-ahead log segment ${file} is corrupt at byte offset ${offset}: ${reason}`);
    this.name = 'WalCorruptError';
  }
}

/** A snapshot file is damaged: a bad header, a bad checksum or invalid metadata. */
export class SnapshotCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`snapshot file ${file} is corrupt at byte offset ${offset}: ${reason}`);
    this.name = 'SnapshotCorruptError';
  }
}

/** The data directory cannot be used: wrong owner, locked, unreadable, or its state is inconsistent. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}
