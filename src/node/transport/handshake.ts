// The first frame on a dialled `/raft` socket names the cluster and both members; the receiver
// refuses a connection that is not meant for it, with a close code and a reason both sides log.
import type { NodeId } from '../../raft/types.ts';
import { isMemberUrl, MEMBER_ID_PATTERN } from '../../shared/protocol/fields.ts';
import { MAX_URL_LENGTH } from '../../shared/protocol/limits.ts';
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
  /** The dialler's advertise URL in the handshake is not one this node could dial back. */
  BadUrl: 4006,
} as const;

export function isRefusal(code: number): boolean {
  return code >= 4000 && code < 4100 && code !== CloseCode.Replaced;
}

export interface Refusal {
  code: number;
  reason: string;
}

/** A URL a member may advertise, and so be dialled at: ws:// or wss://, a host, a bounded length. */
export function isAdvertiseUrl(url: string): boolean {
  return url.length <= MAX_URL_LENGTH && isMemberUrl(url);
}

/** The refusal of a peer that speaks another protocol version, if it does. */
export function refuseVersion(protocolVersion: number): Refusal | undefined {
  if (protocolVersion === PEER_PROTOCOL_VERSION) return undefined;
  return {
    code: CloseCode.VersionMismatch,
    reason: `protocol version mismatch: this node speaks ${PEER_PROTOCOL_VERSION}, peer ${protocolVersion}`,
  };
}

/** Why this member refuses `handshake`, if it does. */
export function refuseHandshake(handshake: Handshake, self: { id: NodeId; cluster: string }): Refusal | undefined {
  const versionRefusal = refuseVersion(handshake.protocolVersion);
  if (versionRefusal) return versionRefusal;
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
  if (!isAdvertiseUrl(handshake.url)) {
    return {
      code: CloseCode.BadUrl,
      reason: `the peer's URL ${JSON.stringify(handshake.url.slice(0, 100))} is not a ws:// or wss:// URL with a host of at most ${MAX_URL_LENGTH} characters`,
    };
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
