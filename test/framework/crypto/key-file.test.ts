import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KEY_FILE_MODE,
  loadKeyFile,
  loadOrCreateKeyFile,
  nobleBackend,
  PrivateKey,
  saveKeyFile,
} from '../../../framework/crypto/index.js';
import { KeyFileError, KeyFormatError } from '../../../framework/errors.js';
import { SeededRandom } from '../../../framework/random/random.js';
import { toHex, utf8 } from '../../../framework/util/bytes.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlay-keyfile-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(path: string): Promise<KeyFileError> {
  const err: unknown = await loadKeyFile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyFileError);
  return err as KeyFileError;
}

describe('key files', () => {
  it('save then load round-trips the key, as the raw 74-byte py-ipv8 binary', async () => {
    const key = PrivateKey.generate(new SeededRandom(1));
    const path = join(dir, 'peer.key');
    await saveKeyFile(path, key);
    const loaded = await loadKeyFile(path);
    expect(toHex(loaded.toBinary())).toBe(toHex(key.toBinary()));
    expect(loaded.publicKey.equals(key.publicKey)).toBe(true);
    expect(toHex(new Uint8Array(await readFile(path)))).toBe(toHex(key.toBinary()));
    const withBackend = await loadKeyFile(path, nobleBackend);
    expect(withBackend.backend).toBe(nobleBackend);
  });

  it('writes mode 0600, creates parent directories, and leaves no temporary file', async () => {
    const path = join(dir, 'a', 'b', 'peer.key');
    await saveKeyFile(path, PrivateKey.generate(new SeededRandom(2)));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(KEY_FILE_MODE).toBe(0o600);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['peer.key']);
  });

  it('replaces an existing file and keeps mode 0600', async () => {
    const path = join(dir, 'peer.key');
    await writeFile(path, 'old', { mode: 0o644 });
    const key = PrivateKey.generate(new SeededRandom(3));
    await saveKeyFile(path, key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await loadKeyFile(path)).publicKey.equals(key.publicKey)).toBe(true);
  });

  it('a missing file is a KeyFileError naming the path', async () => {
    const path = join(dir, 'nope.key');
    const err = await loadError(path);
    expect(err.message).toContain('no key file');
    expect(err.message).toContain(path);
    expect((err.cause as { code?: string }).code).toBe('ENOENT');
  });

  it('a corrupt file is a KeyFileError', async () => {
    const path = join(dir, 'corrupt.key');
    await writeFile(path, new SeededRandom(4).bytes(74));
    const err = await loadError(path);
    expect(err.message).toMatch(/corrupt/);
    expect(err.cause).toBeInstanceOf(KeyFormatError);
  });

  it('a public key file is a KeyFileError that says it is a public key', async () => {
    const path = join(dir, 'public.key');
    await writeFile(path, PrivateKey.generate(new SeededRandom(5)).publicKey.toBinary());
    const err = await loadError(path);
    expect(err.message).toMatch(/public key/);
    expect(err.cause).toBeInstanceOf(KeyFormatError);
  });

  it('a private key file of the wrong size is a KeyFileError giving the size', async () => {
    const path = join(dir, 'short.key');
    const bin = PrivateKey.generate(new SeededRandom(6)).toBinary();
    await writeFile(path, bin.subarray(0, 70));
    expect((await loadError(path)).message).toMatch(/70 bytes, expected 74/);
    await writeFile(path, new Uint8Array([...bin, 0x0a])); // e.g. a trailing newline
    expect((await loadError(path)).message).toMatch(/75 bytes, expected 74/);
  });

  it('a directory in place of the file is a KeyFileError for load and save', async () => {
    await expect(loadKeyFile(dir)).rejects.toThrow(KeyFileError);
    await expect(saveKeyFile(dir, PrivateKey.generate(new SeededRandom(7)))).rejects.toThrow(KeyFileError);
  });
});

describe('loadOrCreateKeyFile', () => {
  it('creates a key on first use (mode 0600) and loads the same key afterwards', async () => {
    const path = join(dir, 'state', 'peer.key');
    const first = await loadOrCreateKeyFile(path, new SeededRandom(8));
    expect(toHex(first.toBinary())).toBe(toHex(PrivateKey.generate(new SeededRandom(8)).toBinary()));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateKeyFile(path, new SeededRandom(9));
    expect(second.publicKey.equals(first.publicKey)).toBe(true);
    const sig = second.sign(utf8('m'));
    expect(first.publicKey.verify(utf8('m'), sig)).toBe(true);
  });

  it('concurrent creators all end with the one key on disk', async () => {
    const path = join(dir, 'peer.key');
    const keys = await Promise.all([1, 2, 3, 4].map((s) => loadOrCreateKeyFile(path, new SeededRandom(100 + s))));
    const onDisk = await loadKeyFile(path);
    for (const k of keys) expect(k.publicKey.equals(onDisk.publicKey)).toBe(true);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual(['peer.key']);
  });

  it('never replaces an invalid existing file', async () => {
    const path = join(dir, 'public.key');
    const pub = PrivateKey.generate(new SeededRandom(10)).publicKey.toBinary();
    await writeFile(path, pub);
    await expect(loadOrCreateKeyFile(path)).rejects.toThrow(/public key/);
    expect(toHex(new Uint8Array(await readFile(path)))).toBe(toHex(pub));
  });
});
