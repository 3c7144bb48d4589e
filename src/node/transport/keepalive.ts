// Notices a peer that stops answering while its connection stays open: its host vanished or froze,
// no FIN ever comes, and TCP alone would wait many minutes. A dialled link pings the peer every
// PING_INTERVAL_MS and is cut, to be redialled, once MAX_UNANSWERED_PINGS pings in a row went
// unanswered: no pong within about 6 s of a ping.
//
// A ping waits behind every byte queued before it, so on a slow link a snapshot or a big batch
// holds its pong back. A frame that finishes writing while more wait behind it shows the peer is
// still taking bytes (the kernel's buffer only drains as the peer acknowledges), so it counts as
// an answer. With nothing waiting, a write proves nothing (the kernel takes it unread) and only a
// pong counts.
import type { WebSocket } from 'ws';

export const PING_INTERVAL_MS = 2000;
export const MAX_UNANSWERED_PINGS = 3;

export class Keepalive {
  private unanswered = 0;
  private readonly timer: NodeJS.Timeout;

  /** Starts pinging the open `ws`; `dead` is called once, when the peer stopped answering. */
  constructor(
    private readonly ws: WebSocket,
    dead: () => void,
  ) {
    ws.on('pong', () => {
      this.unanswered = 0;
    });
    this.timer = setInterval(() => {
      if (this.unanswered >= MAX_UNANSWERED_PINGS) {
        this.stop();
        dead();
        return;
      }
      this.unanswered++;
      ws.ping();
    }, PING_INTERVAL_MS);
  }

  /** A frame of ours was written to the socket. */
  wrote(): void {
    if (this.ws.bufferedAmount > 0) this.unanswered = 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
