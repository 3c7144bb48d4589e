// Records a workload's history as it runs: events kept in memory and, when a stream is given,
// appended to it as JSON Lines.
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { validateHistoryEvent } from './history.ts';
import type { HistoryEvent, InvokeEvent } from './history.ts';

/** What is recorded of a request; a client request can be passed as is. */
export type OperationCall =
  | { op: 'get'; key: string; consistency?: 'linearizable' | 'serializable' }
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expect: string | null; value: string };

/** The fields of a successful answer that the history keeps; a client response can be passed as is. */
export interface OkAnswer {
  /** get: the value read; cas: the value after it. Ignored for put and delete. */
  value?: string | null;
  /** cas only. */
  swapped?: boolean;
  index?: number;
}

export interface RecorderOptions {
  stream?: Writable;
  /** Monotonic milliseconds; performance.now() by default. */
  now?: () => number;
}

export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  private readonly inFlight = new Map<number, InvokeEvent>();
  private readonly stream: Writable | undefined;
  private readonly now: () => number;

  constructor(options: RecorderOptions = {}) {
    this.stream = options.stream;
    this.now = options.now ?? (() => performance.now());
    // close() reports a write error; without a listener it would crash the process first.
    this.stream?.on('error', () => {});
  }

  /** Call just before sending the request. A process has at most one operation in flight. */
  invoke(process: number, call: OperationCall): void {
    const pending = this.inFlight.get(process);
    if (pending) {
      throw new Error(`process ${process} invokes ${call.op} while its ${pending.op} is still in flight`);
    }
    this.inFlight.set(process, this.append(invokeEvent(process, call, this.now())) as InvokeEvent);
  }

  ok(process: number, answer: OkAnswer = {}): void {
    const { op, key } = this.inFlightOf(process);
    const time = this.now();
    const index = answer.index === undefined ? {} : { index: answer.index };
    if (op === 'get') this.append({ type: 'ok', process, op, key, time, value: answer.value, ...index });
    else if (op === 'cas') {
      this.append({ type: 'ok', process, op, key, time, swapped: answer.swapped, value: answer.value, ...index });
    } else this.append({ type: 'ok', process, op, key, time, ...index });
    this.inFlight.delete(process);
  }

  /** The operation was definitely not applied. */
  fail(process: number, error?: string): void {
    this.settleUnsuccessful('fail', process, error);
  }

  /** The outcome is unknown: a timeout or a lost connection. */
  info(process: number, error?: string): void {
    this.settleUnsuccessful('info', process, error);
  }

  /** Ends the stream and waits until everything is written. */
  async close(): Promise<void> {
    if (!this.stream) return;
    this.stream.end();
    await finished(this.stream);
  }

  private settleUnsuccessful(type: 'fail' | 'info', process: number, error: string | undefined): void {
    const { op, key } = this.inFlightOf(process);
    this.append({ type, process, op, key, time: this.now(), ...(error === undefined ? {} : { error }) });
    this.inFlight.delete(process);
  }

  private inFlightOf(process: number): InvokeEvent {
    const pending = this.inFlight.get(process);
    if (!pending) throw new Error(`process ${process} has no operation in flight`);
    return pending;
  }

  private append(candidate: unknown): HistoryEvent {
    const event = validateHistoryEvent(candidate);
    this.events.push(event);
    this.stream?.write(JSON.stringify(event) + '\n');
    return event;
  }
}

function invokeEvent(process: number, call: OperationCall, time: number): object {
  const { op, key } = call;
  switch (call.op) {
    case 'get':
      if (call.consistency === 'serializable') {
        throw new Error('a serializable get may be stale by design; record only linearizable reads');
      }
      return { type: 'invoke', process, op, key, time };
    case 'put':
      return { type: 'invoke', process, op, key, value: call.value, time };
    case 'delete':
      return { type: 'invoke', process, op, key, time };
    case 'cas':
      return { type: 'invoke', process, op, key, expect: call.expect, value: call.value, time };
  }
}
