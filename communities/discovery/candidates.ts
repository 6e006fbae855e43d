/**
 * Candidate addresses of a peer and the path a connection took. A storer hands out, for each peer it
 * holds, the address the peer's announcements came from (`wan`) and the candidates the peer announced
 * itself (`lan`, `relay`); a requester hellos every one. Claimed candidates are checked here before a
 * storer keeps them or a peer punctures toward them.
 * @module
 */
import type { Address } from '../../framework/index.js';
import { addressKey, isLocalHost, isValidPort } from '../../framework/index.js';
import { CANDIDATE_KIND_CODES } from './messages.js';

/**
 * Where a candidate address of a peer comes from:
 * - `direct`: our routing table, peer store or a DHT lookup listed it;
 * - `wan`: a storer saw the peer's announcements come from it (its public address behind a NAT);
 * - `lan`: the peer announced it as its bound local address;
 * - `relay`: the peer announced it as an address on a relaying node;
 * - `birthday`: a probe from the peer's probe socket came from it while we sprayed its IP (birthday probing).
 */
export type CandidateKind = 'direct' | 'wan' | 'lan' | 'relay' | 'birthday';

/**
 * The path a connection took:
 * - `direct`: a hello to an address the routing table, a lookup or a storer listed was answered, with no
 *   puncture from the peer before it;
 * - `lan`: a LAN candidate answered (or the peer's puncture came from its LAN address);
 * - `punched`: after an introduction: the peer's puncture arrived, or a hello was answered after the
 *   peer had punctured toward us;
 * - `relayed`: a relay candidate answered;
 * - `birthday`: birthday probing opened the path through a symmetric NAT on one side (a probe socket of
 *   ours was hit and carries the traffic, or the peer's packet came from a port our spray opened).
 */
export type ConnectPath = 'direct' | 'lan' | 'punched' | 'relayed' | 'birthday';

/** One candidate address of a peer. */
export interface Candidate {
  /** Where it comes from. */
  readonly kind: CandidateKind;
  /** The address. */
  readonly address: Address;
}

const KIND_BY_CODE = new Map<number, CandidateKind>([
  [CANDIDATE_KIND_CODES.wan, 'wan'],
  [CANDIDATE_KIND_CODES.lan, 'lan'],
  [CANDIDATE_KIND_CODES.relay, 'relay'],
]);

/** The kind of a wire kind code; undefined for an unknown code (the candidate is ignored). */
export function candidateKind(code: number): CandidateKind | undefined {
  return KIND_BY_CODE.get(code);
}

/** The wire code of a claimed candidate kind. */
export function candidateCode(kind: 'lan' | 'relay'): number {
  return CANDIDATE_KIND_CODES[kind];
}

/** True for the wildcard hosts a socket binds to when it listens everywhere. */
function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '::ffff:0.0.0.0';
}

/**
 * A LAN candidate worth keeping or puncturing toward: a literal private, loopback or link-local address
 * (not a wildcard), with a real port, other than `seen` (the address the packets came from). A claimed
 * LAN address can only ever point into a private network, never at a public third party.
 */
export function validLan(lan: Address | undefined, seen: Address): Address | undefined {
  if (lan === undefined || !isValidPort(lan.port) || lan.port === 0 || isUnspecified(lan.host) || !isLocalHost(lan.host)) return undefined;
  return addressKey(lan) === addressKey(seen) ? undefined : lan;
}

/** A relay candidate worth keeping: any literal address other than a wildcard, with a real port, other than `seen`. */
export function validRelay(relay: Address | undefined, seen: Address): Address | undefined {
  if (relay === undefined || !isValidPort(relay.port) || relay.port === 0 || isUnspecified(relay.host)) return undefined;
  return addressKey(relay) === addressKey(seen) ? undefined : relay;
}

/** The bound local address worth announcing as a LAN candidate: undefined for a wildcard bind or port 0. */
export function ownLan(local: Address): Address | undefined {
  return isUnspecified(local.host) || local.port === 0 ? undefined : local;
}
