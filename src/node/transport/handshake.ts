// The first frame on a dialled `/raft` socket names the cluster and both members; the receiver
// refuses a connection that is not meant for it, with a close code and a reason both sides log.
import type { NodeId } from '../../raft/types.ts';
import { MEMBER_ID_PATTERN } from '../../shared/protocol/fields.ts';
import { PEER_PROTOCOL_VERSION, type Handshake } from './codec.ts';

/** WebSocket close codes on `/raft`. 4000-4099: the receiver refused the connection. */
export const CloseCode = {
  ShuttingDown: 1001,
  BadFrame: 4000,
  ClusterMismatch: 4001,
  WrongMember: 4002,
  VersionMismatch: 4003,
  HandshakeTimeout: 4004,
  /** The same member dialled again; its older connection gives way. */
  Replaced: 4005,
} as const;

export function isRefusal(code: number): boolean {
  return code >= 4000 && code < 4100 && code !== CloseCode.Replaced;
}

export interface Refusal {
  code: number;
  reason: string;
}

/** Why this member refuses `handshake`, if it does. */
export function refuseHandshake(handshake: Handshake, self: { id: NodeId; cluster: string }): Refusal | undefined {
  if (handshake.protocolVersion !== PEER_PROTOCOL_VERSION) {
    return {
      code: CloseCode.VersionMismatch,
      reason: `protocol version mismatch: this node speaks ${PEER_PROTOCOL_VERSION}, peer ${handshake.protocolVersion}`,
    };
  }
  if (handshake.cluster !== self.cluster) {
    return { code: CloseCode.ClusterMismatch, reason: `cluster mismatch: this node is in '${self.cluster}', peer says '${handshake.cluster}'` };
  }
  if (handshake.to !== self.id) {
    return { code: CloseCode.WrongMember, reason: `wrong member: this is '${self.id}', the peer dialled '${handshake.to}'` };
  }
  if (!MEMBER_ID_PATTERN.test(handshake.from)) {
    return { code: CloseCode.WrongMember, reason: `the peer's id ${JSON.stringify(handshake.from)} is not a member id` };
  }
  if (handshake.from === self.id) {
    return { code: CloseCode.WrongMember, reason: `the peer claims this node's own id '${self.id}'` };
  }
  return undefined;
}

/** A close reason cut to the 123 bytes a WebSocket close frame has room for. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return `${cut}...`;
}
