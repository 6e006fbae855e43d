/**
 * The fuzz harness's raw material: one valid, signed packet of every message the DHT, the discovery
 * community and the framework (introduction and puncture, in both communities) define, and the mutators
 * that turn them into hostile input.
 * @module
 */
import { signRecord, unsignedRecord } from '../communities/dht/index.js';
import { FindRequest, FindResponse, PingRequest, PingResponse, StoreRequest, StoreResponse } from '../communities/dht/messages.js';
import type { ValueRecord } from '../communities/dht/index.js';
import {
  AnnounceRequest,
  AnnounceResponse,
  FindPeerRequest,
  FindPeerResponse,
  HelloRequest,
  HelloResponse,
  IntroduceRequest,
  PeerPuncture,
} from '../communities/discovery/index.js';
import { HEADER_BYTES, IntroductionRequest, IntroductionResponse, MAC_TAG_BYTES, Puncture, PunctureRequest, SIGNATURE_BYTES, encodePacket, utf8 } from '../framework/index.js';
import type { Address, MessageSpec, PacketMac, PrivateKey, Random, Signer } from '../framework/index.js';

/** One valid packet to mutate. */
export interface Template {
  /** `community/message`, for the summary. */
  readonly name: string;
  /** The encoded, signed packet. */
  readonly packet: Uint8Array;
}

/** What the templates need to know about the node under test. */
export interface TemplateContext {
  /** The attacker's key: every template is signed with it. */
  readonly key: PrivateKey;
  /** The DHT's and the discovery community's 22-byte prefixes. */
  readonly prefixes: { readonly dht: Uint8Array; readonly discovery: Uint8Array };
  /** A store token the node issued to the attacker's address (so store templates pass the token check). */
  readonly token: Uint8Array;
  /** A key the node holds values under. */
  readonly key20: Uint8Array;
  /** Some address to put in address fields. */
  readonly address: Address;
  /** Tags packets for the node under test: when given, every template also comes tagged instead of signed. */
  readonly tagFor?: PacketMac;
}

/** A signer for `key`. */
export function signerOf(key: PrivateKey): Signer {
  return { publicKeyBinary: key.publicKey.toBinary(), sign: (m) => key.sign(m) };
}

/** A valid packet of every message type, signed by `ctx.key` (and, given `ctx.tagFor`, each also tagged). */
export function buildTemplates(ctx: TemplateContext): Template[] {
  const signer = signerOf(ctx.key);
  const mid = ctx.key.publicKey.mid;
  const id = 0x1234_5678_9abc_def0n;
  const wire = (r: ValueRecord) => ({ record: { data: r.data, publicKey: r.publicKey, version: r.version, signature: r.signature }, ttl: 60_000 });
  const records = [wire(signRecord(ctx.key, ctx.key20, utf8('fuzz value'), 7)), wire(unsignedRecord(ctx.key20, utf8('plain')))];
  const node = { id: mid, address: ctx.address };
  const out: Template[] = [];
  const add = <T>(community: 'dht' | 'discovery', spec: MessageSpec<T>, body: T): void => {
    out.push({ name: `${community}/${spec.name}`, packet: encodePacket(ctx.prefixes[community], spec, body, signer) });
    if (ctx.tagFor !== undefined) {
      out.push({ name: `${community}/${spec.name} (tagged)`, packet: encodePacket(ctx.prefixes[community], spec, body, signer, ctx.tagFor) });
    }
  };
  add('dht', PingRequest, { id });
  add('dht', PingResponse, { id, observed: ctx.address });
  add('dht', FindRequest, { id, target: ctx.key20, records: true, cursor: undefined, publisher: undefined, token: ctx.token, padding: undefined });
  add('dht', FindRequest, { id, target: ctx.key20, records: true, cursor: new Uint8Array(21).fill(1), publisher: mid, token: ctx.token, padding: undefined });
  add('dht', FindRequest, { id, target: ctx.key20, records: false, cursor: undefined, publisher: undefined, token: undefined, padding: new Uint8Array(280) });
  add('dht', FindResponse, { id, token: ctx.token, nodes: [node], records, total: 2, more: false, authoritative: true });
  add('dht', StoreRequest, { id, token: ctx.token, location: ctx.key20, cache: false, cas: undefined, records });
  add('dht', StoreRequest, { id, token: ctx.token, location: ctx.key20, cache: true, cas: 7, records });
  add('dht', StoreResponse, { id, verdicts: [1, 2, 9] });
  add('discovery', AnnounceRequest, { id, mid, token: ctx.token, lan: ctx.address, relay: undefined, nat: undefined });
  add('discovery', AnnounceResponse, { id, accepted: true, reason: '', token: ctx.token });
  add('discovery', FindPeerRequest, { id, mid, token: ctx.token, lan: undefined, nat: undefined });
  add('discovery', FindPeerResponse, { id, peers: [{ publicKey: ctx.key.publicKey.toBinary(), address: ctx.address, candidates: [{ kind: 1, address: ctx.address }], nat: 2 }] });
  add('discovery', IntroduceRequest, { nonce: id, requester: ctx.address, requesterMid: mid, requesterLan: undefined, proven: true, requesterNat: undefined });
  add('discovery', PeerPuncture, { nonce: id });
  add('discovery', HelloRequest, { id });
  add('discovery', HelloResponse, { id, punctured: false });
  for (const community of ['dht', 'discovery'] as const) {
    add(community, IntroductionRequest, { identifier: id, destination: ctx.address, sourceLan: ctx.address });
    add(community, IntroductionResponse, { identifier: id, destination: ctx.address, introduced: ctx.address, introducedLan: ctx.address });
    add(community, PunctureRequest, { identifier: id, target: ctx.address, targetLan: ctx.address });
    add(community, Puncture, { identifier: id, source: ctx.address });
  }
  return out;
}

/** The mutations, by name; each returns a new packet. */
export const MUTATIONS = [
  'flip',
  'insert',
  'delete',
  'truncate',
  'splice',
  'prefix-random-body',
  'random',
  'resigned-body-flip',
  'resigned-body-splice',
  'resigned-random-body',
  'valid',
] as const;

/** One of {@link MUTATIONS}. */
export type Mutation = (typeof MUTATIONS)[number];

const BODY_START = HEADER_BYTES + 2;

/**
 * Applies `mutation` to `t` (drawing from `r`); `other` is a second template for splices, `key` re-signs
 * the `resigned-*` mutations (a valid signature over a hostile body, so the body decoder and the
 * handlers see it), and `mac` re-tags them when `t` is tagged.
 */
export function mutate(mutation: Mutation, t: Template, other: Template, r: Random, key: PrivateKey, mac?: PacketMac): Uint8Array {
  const p = t.packet;
  switch (mutation) {
    case 'flip': {
      const out = p.slice();
      for (let k = 0, n = 1 + r.int(4); k < n; k++) out[r.int(out.length)]! ^= 1 + r.int(255);
      return out;
    }
    case 'insert': {
      const at = r.int(p.length + 1);
      return concat(p.subarray(0, at), r.bytes(1 + r.int(16)), p.subarray(at));
    }
    case 'delete': {
      const at = r.int(p.length);
      return concat(p.subarray(0, at), p.subarray(Math.min(p.length, at + 1 + r.int(16))));
    }
    case 'truncate':
      return p.slice(0, r.int(p.length));
    case 'splice':
      return concat(p.subarray(0, r.int(p.length)), other.packet.subarray(r.int(other.packet.length)));
    case 'prefix-random-body':
      return concat(p.subarray(0, HEADER_BYTES), r.bytes(r.int(300)));
    case 'random':
      return r.bytes(r.int(400));
    case 'valid':
      return p.slice();
    default:
      return resign(p, mutateBody(mutation, bodyOf(p), bodyOf(other.packet), r), key, mac);
  }
}

function mutateBody(mutation: Mutation, body: Uint8Array, otherBody: Uint8Array, r: Random): Uint8Array {
  if (mutation === 'resigned-random-body') return r.bytes(r.int(120));
  if (mutation === 'resigned-body-splice') return concat(body.subarray(0, r.int(body.length + 1)), otherBody.subarray(r.int(otherBody.length + 1)));
  const out = body.slice();
  for (let k = 0, n = 1 + r.int(3); k < n && out.length > 0; k++) out[r.int(out.length)]! ^= 1 + r.int(255);
  return out;
}

/** True for a tagged packet (top bit of the key length). */
function isTagged(p: Uint8Array): boolean {
  return (p[HEADER_BYTES]! & 0x80) !== 0;
}

/** The msgpack body of a signed or tagged packet. */
function bodyOf(p: Uint8Array): Uint8Array {
  const pkLength = ((p[HEADER_BYTES]! & 0x7f) << 8) | p[HEADER_BYTES + 1]!;
  return p.subarray(BODY_START + pkLength, p.length - (isTagged(p) ? MAC_TAG_BYTES : SIGNATURE_BYTES));
}

/** Replaces the body of signed packet `p` and signs it again with `key` (or tags it again with `mac`, if it was tagged). */
function resign(p: Uint8Array, body: Uint8Array, key: PrivateKey, mac: PacketMac | undefined): Uint8Array {
  const pkLength = ((p[HEADER_BYTES]! & 0x7f) << 8) | p[HEADER_BYTES + 1]!;
  const signed = concat(p.subarray(0, BODY_START + pkLength), body);
  return concat(signed, isTagged(p) && mac !== undefined ? mac.tag(signed) : key.sign(signed));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}
