/**
 * Private key files. The format is py-ipv8's: the raw 74-byte private key binary (`"LibNaCLSK:"` +
 * X25519 secret + Ed25519 seed), nothing else, so a key file works in both implementations. The ASCII
 * prefix identifies the type, which lets a public key file given by mistake be named as such.
 *
 * Files are written with mode 0600 into a temporary file beside the target, flushed, then renamed into
 * place, so a crash never leaves a half-written key.
 * @module
 */
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyFileError } from '../errors.js';
import type { Random } from '../random/random.js';
import { CryptoRandom } from '../random/random.js';
import { toHex } from '../util/bytes.js';
import type { SignatureBackend } from './backend.js';
import { PrivateKey, PRIVATE_KEY_BYTES, PRIVATE_KEY_PREFIX, PUBLIC_KEY_PREFIX, hasKeyPrefix } from './keys.js';

/** Permission bits of a key file: read and write for the owner only. */
export const KEY_FILE_MODE = 0o600;

/** Permission bits of a parent directory created for a key file. */
const KEY_DIR_MODE = 0o700;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Writes `key` to a fresh temporary file beside `path` and returns its name. */
async function writeTemp(path: string, key: PrivateKey): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: KEY_DIR_MODE });
  const temp = `${path}.${toHex(new CryptoRandom().bytes(6))}.tmp`;
  const handle = await open(temp, 'wx', KEY_FILE_MODE);
  try {
    await handle.writeFile(key.toBinary());
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  return temp;
}

/**
 * Writes a private key file atomically with mode 0600, creating missing parent directories (mode 0700).
 * An existing file at `path` is replaced.
 * @param path where to write.
 * @param key the key to store.
 * @throws {@link KeyFileError} if the file cannot be written (the cause is attached).
 */
export async function saveKeyFile(path: string, key: PrivateKey): Promise<void> {
  let temp: string | undefined;
  try {
    temp = await writeTemp(path, key);
    await rename(temp, path);
  } catch (err) {
    if (temp !== undefined) await unlink(temp).catch(() => undefined);
    throw new KeyFileError(`cannot write key file ${path}: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * Like {@link saveKeyFile} but never replaces an existing file.
 * @returns false if a file already existed at `path` (it is left untouched).
 */
async function saveKeyFileExclusive(path: string, key: PrivateKey): Promise<boolean> {
  let temp: string | undefined;
  try {
    temp = await writeTemp(path, key);
    try {
      await link(temp, path); // atomic, fails with EEXIST instead of overwriting
    } catch (err) {
      if (errorCode(err) === 'EEXIST') return false;
      // File systems without hard links: fall back to rename (a narrow race with another creator).
      await rename(temp, path);
      temp = undefined;
    }
    return true;
  } catch (err) {
    throw new KeyFileError(`cannot write key file ${path}: ${messageOf(err)}`, { cause: err });
  } finally {
    if (temp !== undefined) await unlink(temp).catch(() => undefined);
  }
}

/** Reads the file; a missing file is returned as `{ missing }` with the ENOENT error. */
async function readKeyBytes(path: string): Promise<{ bytes: Uint8Array } | { missing: unknown }> {
  try {
    return { bytes: new Uint8Array(await readFile(path)) };
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { missing: err };
    throw new KeyFileError(`cannot read key file ${path}: ${messageOf(err)}`, { cause: err });
  }
}

function parseKeyFile(path: string, bytes: Uint8Array, backend: SignatureBackend | undefined): PrivateKey {
  try {
    return PrivateKey.fromBinary(bytes, backend);
  } catch (err) {
    let reason: string;
    if (hasKeyPrefix(bytes, PUBLIC_KEY_PREFIX)) {
      reason = `it holds a public key ("${PUBLIC_KEY_PREFIX}"), not a private key`;
    } else if (!hasKeyPrefix(bytes, PRIVATE_KEY_PREFIX)) {
      reason = `it is corrupt or not a key file (${bytes.length} bytes, no "${PRIVATE_KEY_PREFIX}" prefix)`;
    } else if (bytes.length !== PRIVATE_KEY_BYTES) {
      reason = `it is ${bytes.length} bytes, expected ${PRIVATE_KEY_BYTES}`;
    } else {
      reason = messageOf(err);
    }
    throw new KeyFileError(`invalid key file ${path}: ${reason}`, { cause: err });
  }
}

/**
 * Reads a private key file written by {@link saveKeyFile} or by py-ipv8.
 * @param path the file to read.
 * @param backend the signature backend for the key; defaults to `defaultBackend()`.
 * @returns the key.
 * @throws {@link KeyFileError} if the file is missing or unreadable, holds a public key, has the wrong
 *   size, or is corrupt; the message says which and the underlying error is the `cause`.
 */
export async function loadKeyFile(path: string, backend?: SignatureBackend): Promise<PrivateKey> {
  const read = await readKeyBytes(path);
  if ('missing' in read) throw new KeyFileError(`no key file at ${path}`, { cause: read.missing });
  return parseKeyFile(path, read.bytes, backend);
}

/**
 * Loads the key at `path`, or generates one and saves it there if no file exists. Safe against a
 * concurrent creator: the file is never overwritten, and whoever loses the race loads the winner's key.
 * An existing but invalid file is an error, never silently replaced.
 * @param path the key file.
 * @param random randomness for a new key; defaults to a `CryptoRandom`.
 * @param backend the signature backend; defaults to `defaultBackend()`.
 * @returns the loaded or new key.
 * @throws {@link KeyFileError} as {@link loadKeyFile} does (except for a missing file), or if the new
 *   file cannot be written.
 * @example
 * ```ts
 * const key = await loadOrCreateKeyFile('./state/peer.key');
 * console.log(key.publicKey.midHex);
 * ```
 */
export async function loadOrCreateKeyFile(
  path: string,
  random?: Random,
  backend?: SignatureBackend,
): Promise<PrivateKey> {
  const read = await readKeyBytes(path);
  if ('bytes' in read) return parseKeyFile(path, read.bytes, backend);
  const key = PrivateKey.generate(random, backend);
  if (await saveKeyFileExclusive(path, key)) return key;
  return loadKeyFile(path, backend);
}
