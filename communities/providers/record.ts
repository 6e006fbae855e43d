/**
 * A provider record: a node's signed announcement that it provides a key (libp2p's provider record, BEP 5's
 * announce_peer), completed by each storer with the IP address it saw the announcement come from.
 *
 * The provider signs `utf8("peerlay:providers:announce:v1") | provider key binary (74) | key (20) | u16 port |
 * u64 version | u64 expiresAt` (see {@link providerSignedMessage}): the port it names (0: implied, the port
 * the storers see, as BEP 5's implied_port), a version (the newest wins) and an expiry no storer may extend.
 * The IP is not signed and not chosen by the provider: the storer writes the source address of the store
 * request into the record ({@link stampProviderRecord}), and refuses a
 * store request not signed by the provider itself, so a record can only point at the address its provider
 * announced from.
 * @module
 */
import { computeMid, concatBytes, equalBytes, isValidPort, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, utf8 } from '../../framework/index.js';
import { bytesToIp, ipToBytes } from '../../framework/wire/ip.js';
import type { PrivateKey, PublicKeyCache } from '../../framework/index.js';
import type { StoreSource } from '../dht/index.js';
import { KEY_BYTES } from '../dht/index.js';

/** Domain-separation tag of every provider announcement signature. */
export const PROVIDER_SIGNATURE_DOMAIN = 'peerlay:providers:announce:v1';

const DOMAIN = utf8(PROVIDER_SIGNATURE_DOMAIN);

/** One provider record: the signed announcement and, once a storer holds it, the IP the storer saw. */
export interface ProviderRecord {
  /** The 20-byte DHT key provided (see `hashKey`). */
  readonly key: Uint8Array;
  /** The provider's 74-byte public key binary. */
  readonly publicKey: Uint8Array;
  /**
   * The port the provider names (signed), 1..65535; 0 means implied: finders use the port the storer saw
   * the announcement come from ({@link ProviderRecord.sourcePort}), as BEP 5's `implied_port`.
   */
  readonly port: number;
  /** The provider's version: its clock in ms, strictly increasing per provider and key; the highest wins. */
  readonly version: number;
  /** When the announcement expires, ms since the epoch on the provider's clock (signed). */
  readonly expiresAt: number;
  /** The provider's Ed25519 signature over {@link providerSignedMessage}. */
  readonly signature: Uint8Array;
  /**
   * The IP address (text) the storer saw the announcement come from; `undefined` in an announcement
   * before a storer stamped it. Not signed: it is the storer's observation, never the provider's claim.
   */
  readonly host?: string | undefined;
  /** The source port the storer saw, stamped with `host` (used when `port` is 0). Not signed. */
  readonly sourcePort?: number | undefined;
}

/**
 * Result of {@link checkProviderRecord}: `valid`; `invalid` for a field of the wrong type, length or range
 * (or a record without an observed address); `bad-signature` when the signature does not verify.
 */
export type ProviderRecordCheck = 'valid' | 'invalid' | 'bad-signature';

/**
 * The bytes a provider signs; they cover its whole public key binary (the mid hashes all of it), so an
 * announcement cannot be re-attributed to a phantom provider sharing its Ed25519 half.
 * @returns `utf8(PROVIDER_SIGNATURE_DOMAIN) | publicKey | key | u16 port | u64 version | u64 expiresAt`.
 */
export function providerSignedMessage(r: Omit<ProviderRecord, 'signature' | 'host' | 'sourcePort'>): Uint8Array {
  const fixed = new Uint8Array(18);
  const view = new DataView(fixed.buffer);
  view.setUint16(0, r.port, false);
  view.setBigUint64(2, BigInt(r.version), false);
  view.setBigUint64(10, BigInt(r.expiresAt), false);
  return concatBytes(DOMAIN, r.publicKey, r.key, fixed);
}

/**
 * Signs an announcement (without an address: the storers add the one they see).
 * @param privateKey the provider's key.
 * @param fields key (20 bytes), port, version and expiresAt (safe integers).
 * @returns the signed announcement.
 * @example
 * ```ts
 * const a = signProviderRecord(key, { key: hashKey('topic'), port: 4001, version: now, expiresAt: now + 3_600_000 });
 * ```
 */
export function signProviderRecord(privateKey: PrivateKey, fields: Pick<ProviderRecord, 'key' | 'port' | 'version' | 'expiresAt'>): ProviderRecord {
  const record = { key: fields.key, port: fields.port, version: fields.version, expiresAt: fields.expiresAt, publicKey: privateKey.publicKey.toBinary() };
  return { ...record, signature: privateKey.sign(providerSignedMessage(record)) };
}

/** True if every signed field has the right type, length and range (the signature is not checked). */
export function isWellFormedAnnouncement(r: ProviderRecord): boolean {
  return (
    r.key instanceof Uint8Array &&
    r.key.length === KEY_BYTES &&
    r.publicKey instanceof Uint8Array &&
    r.publicKey.length === PUBLIC_KEY_BYTES &&
    r.signature instanceof Uint8Array &&
    r.signature.length === SIGNATURE_BYTES &&
    typeof r.port === 'number' &&
    isValidPort(r.port) &&
    Number.isSafeInteger(r.version) &&
    r.version >= 0 &&
    Number.isSafeInteger(r.expiresAt) &&
    r.expiresAt >= 0
  );
}

/** True for a well-formed announcement that carries an observed IP address (a held record). */
export function isWellFormedProviderRecord(r: ProviderRecord): boolean {
  return isWellFormedAnnouncement(r) && typeof r.host === 'string' && ipToBytes(r.host) !== undefined && typeof r.sourcePort === 'number' && isValidPort(r.sourcePort);
}

/**
 * Checks shape (an observed address included) and signature. Never throws.
 * @param keys parsed-key cache (the node's `context.keys`).
 */
export function checkProviderRecord(r: ProviderRecord, keys: PublicKeyCache): ProviderRecordCheck {
  if (!isWellFormedProviderRecord(r)) return 'invalid';
  const publicKey = keys.get(r.publicKey);
  if (publicKey === undefined) return 'invalid';
  return publicKey.verify(providerSignedMessage(r), r.signature) ? 'valid' : 'bad-signature';
}

/**
 * The storer's stamp: the announcement with the address (IP and port) its store request came from, when the provider itself
 * signed that request; `undefined` (refused) when anyone else sent it, so nobody can file a provider's
 * announcement from another address, nor make a record point at a third party.
 */
export function stampProviderRecord(r: ProviderRecord, source: StoreSource): ProviderRecord | undefined {
  if (source.sender === undefined || !(r.publicKey instanceof Uint8Array) || !equalBytes(source.sender.mid, computeMid(r.publicKey))) return undefined;
  return { ...r, host: source.from.host, sourcePort: source.from.port };
}

/** The IP of a held record on the wire: 4 or 16 bytes, or `undefined` in an unstamped announcement. */
export function hostBytes(host: string | undefined): Uint8Array | undefined {
  return host === undefined ? undefined : ipToBytes(host);
}

/** The IP text of wire bytes. @throws `Error` for a length other than 4 or 16 (the decoder drops the record). */
export function hostText(bytes: Uint8Array | undefined): string | undefined {
  if (bytes === undefined) return undefined;
  const host = bytesToIp(bytes);
  if (host === undefined) throw new Error(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
  return host;
}

/** True if two records are byte-for-byte the same signed statement, stamped with the same address. */
export function sameProviderRecord(a: ProviderRecord, b: ProviderRecord): boolean {
  return (
    a.version === b.version &&
    a.expiresAt === b.expiresAt &&
    a.port === b.port &&
    a.host === b.host &&
    a.sourcePort === b.sourcePort &&
    equalBytes(a.signature, b.signature) &&
    equalBytes(a.publicKey, b.publicKey)
  );
}

/**
 * Where finders reach the provider of a held record: the IP the storer saw, with the port the provider named,
 * or, for port 0 (implied), the port the storer saw. `undefined` for a record no storer stamped.
 */
export function providerAddress(r: ProviderRecord): { host: string; port: number } | undefined {
  if (r.host === undefined || r.sourcePort === undefined) return undefined;
  return { host: r.host, port: r.port === 0 ? r.sourcePort : r.port };
}
