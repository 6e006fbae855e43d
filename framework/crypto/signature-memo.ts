/**
 * A process-wide memo of the signatures this process made, for simulations that run thousands of nodes in
 * one process: a node verifying a signature another simulated node made over the same bytes finds it here
 * and skips the curve arithmetic. It cannot change any verdict: an entry is the exact public key, message
 * and signature a `PrivateKey` produced, and Ed25519 verification of an honestly made signature is
 * always true; any other triple (one byte of key, message or signature different, or never signed here) is
 * verified in full. Off unless {@link rememberSignatures} turned it on (a real node has nothing to gain).
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { equalBytes } from '../util/bytes.js';
import { SIGNATURE_BYTES } from './sizes.js';

/** Counters of a {@link SignatureMemo}. */
export interface SignatureMemoStats {
  /** Signatures remembered. */
  remembered: number;
  /** Verifications answered from the memo. */
  hits: number;
}

interface Entry {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
}

/**
 * A bounded memo of (Ed25519 public key, message, signature) triples made by signers of this process,
 * oldest forgotten first. Keyed by the signature; a hit also compares the key and the message byte for byte.
 */
export class SignatureMemo {
  /** Counters. */
  readonly stats: SignatureMemoStats = { remembered: 0, hits: 0 };
  private readonly entries = new Map<string, Entry>();

  /**
   * @param capacity most signatures kept. @default 16384
   * @throws {@link InvalidArgumentError} when `capacity` is not a positive integer.
   */
  constructor(readonly capacity = 16_384) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`SignatureMemo capacity must be a positive integer, got ${String(capacity)}`);
  }

  /** Signatures held. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Remembers a signature just made. The key and message are copied.
   * @param publicKey the signer's 32-byte Ed25519 public key.
   * @param message the signed bytes.
   * @param signature the 64-byte signature the signer returned.
   */
  remember(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    if (signature.length !== SIGNATURE_BYTES) return;
    const id = signatureId(signature);
    if (!this.entries.has(id) && this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, { publicKey: publicKey.slice(), message: message.slice() });
    this.stats.remembered++;
  }

  /**
   * True only if exactly this key made exactly this signature over exactly this message in this process
   * (so a full verification would say true). False means nothing: verify in full.
   */
  made(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES || !(message instanceof Uint8Array)) return false;
    const entry = this.entries.get(signatureId(signature));
    if (entry === undefined || !equalBytes(entry.message, message) || !equalBytes(entry.publicKey, publicKey)) return false;
    this.stats.hits++;
    return true;
  }

  /** Forgets every signature. */
  clear(): void {
    this.entries.clear();
  }
}

function signatureId(signature: Uint8Array): string {
  return Buffer.from(signature.buffer, signature.byteOffset, signature.length).toString('latin1');
}

let active: SignatureMemo | undefined;

/**
 * Turns the process-wide {@link SignatureMemo} on (every `PrivateKey` of the process then records
 * its signatures, and every `PublicKey` checks the memo before verifying); the simulator does this.
 * Calling it again keeps the memo that is on.
 * @param capacity most signatures kept when the memo is created. @default 16384
 * @returns the memo.
 */
export function rememberSignatures(capacity?: number): SignatureMemo {
  active ??= new SignatureMemo(capacity);
  return active;
}

/** The process-wide memo if {@link rememberSignatures} turned it on. */
export function signatureMemo(): SignatureMemo | undefined {
  return active;
}
