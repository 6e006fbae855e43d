/**
 * What a message handler receives: the decoded body, its source, and its verified (or, for a
 * `deferredVerify` message, claimed) sender.
 * @module
 */
import type { PublicKey } from '../crypto/keys.js';
import type { PairKeys } from '../crypto/pair-keys.js';
import type { Address } from '../endpoint/address.js';

/** A decoded, verified incoming message as a handler receives it. */
export interface Incoming<T> {
  /** The decoded body. */
  readonly value: T;
  /** Where the packet came from. */
  readonly from: Address;
  /**
   * The verified signer, for signed messages; `undefined` for unsigned ones, and for messages of a
   * `deferredVerify` spec until {@link Incoming.verifySender} succeeded.
   */
  readonly sender: PublicKey | undefined;
  /** Size of the packet in bytes. */
  readonly size: number;
  /**
   * True if the packet carried a pairwise tag for us instead of a signature (see {@link PairKeys}): its
   * sender knows our key and tags, so {@link Community.reply} tags the answer too.
   */
  readonly tagged?: boolean;
  /**
   * Messages of a `deferredVerify` spec only: the key the packet claims to be signed by, NOT verified.
   * Use it only where a lie costs the liar alone (e.g. leaving the claimed key out of an answer).
   */
  readonly claimedSender?: PublicKey;
  /**
   * Messages of a `deferredVerify` spec only: checks the signature (once; later calls return the same)
   * and returns the verified sender, or `undefined` when the signature is bad (the packet is then counted
   * as dropped with `bad-signature`, and the handler must ignore it).
   */
  readonly verifySender?: () => PublicKey | undefined;
}

/** A message handler; may be async (a rejection is caught and counted, never thrown into the event loop). */
export type Handler<T> = (message: Incoming<T>) => void | Promise<void>;

/** The key to tag an answer to `m` for: its sender's, if `m` was tagged. */
export function replyKey(m: Incoming<unknown>): PublicKey | undefined {
  return m.tagged === true ? (m.sender ?? m.claimedSender) : undefined;
}

/**
 * The claimed sender of a `deferredVerify` message and its one-time, memoised check (the signature, or
 * the pairwise tag with `pairs`).
 * @param drop called once with `bad-signature` or `bad-mac` when the check fails.
 */
export function deferredSender(
  key: PublicKey,
  parts: { readonly signedPart: Uint8Array; readonly signature: Uint8Array; readonly mac: boolean },
  pairs: PairKeys | undefined,
  drop: (reason: string) => void,
): Pick<Incoming<unknown>, 'claimedSender' | 'verifySender'> {
  let verdict: PublicKey | null | undefined;
  const verifySender = (): PublicKey | undefined => {
    if (verdict === undefined) {
      let valid = false;
      try {
        valid = parts.mac ? pairs?.check(key, parts.signedPart, parts.signature) === true : key.verify(parts.signedPart, parts.signature);
      } catch {
        valid = false;
      }
      verdict = valid ? key : null;
      if (!valid) drop(parts.mac ? 'bad-mac' : 'bad-signature');
    }
    return verdict ?? undefined;
  };
  return { claimedSender: key, verifySender };
}

/** Maps a codec rejection reason to a short counter name. */
export function classifyReason(reason: string): string {
  if (/signature/i.test(reason)) return 'bad-signature';
  if (/\bmac\b/i.test(reason)) return 'bad-mac';
  if (/version/i.test(reason)) return 'bad-version';
  if (/public key/i.test(reason)) return 'bad-public-key';
  return 'malformed';
}
