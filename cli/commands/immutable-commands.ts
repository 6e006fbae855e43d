/**
 * The immutable forms of `peerlay put` and `peerlay get`: `put --immutable FILE|-` stores a file (or
 * standard input) as a content-addressed value and prints its key; `get imm:<64 hex>` fetches the value,
 * checks it against its key here too, and writes its bytes to standard output.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { isImmutableKeyText, matchesKey, MAX_IMMUTABLE_VALUE_BYTES, parseImmutableKey } from '../../communities/immutable/index.js';
import { segment } from '../client/api-client.js';
import { ApiError, EXIT, UsageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import type { CommandIo, OptionValues } from './command.js';
import { durationOption, println } from './command.js';
import { clientFor, printJson } from './client-common.js';

/** The help lines of the immutable forms, for the `put` and `get` help. */
export const IMMUTABLE_HELP = `
Immutable values (at most ${MAX_IMMUTABLE_VALUE_BYTES} bytes, content-addressed: the key is the hash of the value):
  peerlay put --immutable FILE|-   stores FILE (or standard input) and prints its key, imm:<64 hex digits>
  peerlay get imm:<64 hex>         writes the value's bytes to standard output, checked against the key
                                   (--encoding utf8|hex|base64url prints it as text instead)`;

/** True when `key` is spelled as an immutable key, so `get` fetches an immutable value. */
export function isImmutableKey(key: string): boolean {
  return isImmutableKeyText(key);
}

/**
 * `peerlay put --immutable FILE|-`.
 * @throws {@link UsageError} for a second argument, `--sign` or `--encoding`, an unreadable file, or a
 *   value over 8 KiB (nothing is sent).
 */
export async function putImmutable(values: OptionValues, positionals: readonly string[], io: CommandIo): Promise<ExitCode> {
  if (positionals.length !== 1) throw new UsageError('put --immutable takes one argument: FILE, or - for standard input');
  if (values.sign === true) throw new UsageError('immutable values are not signed: their key is their hash (drop --sign)');
  if (values.encoding !== undefined) throw new UsageError('put --immutable stores the bytes of FILE as they are (drop --encoding)');
  const source = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = source === '-' ? await io.readStdin() : new Uint8Array(await readFile(source));
  } catch (cause) {
    throw new UsageError(`cannot read ${JSON.stringify(source)}: ${(cause as Error).message}`, { cause });
  }
  if (bytes.length > MAX_IMMUTABLE_VALUE_BYTES) throw new UsageError(`${source === '-' ? 'standard input' : source} is ${bytes.length} bytes; an immutable value is at most ${MAX_IMMUTABLE_VALUE_BYTES}`);
  const ttlMs = durationOption(values, 'ttl', undefined, 1, 86_400_000);
  const body = { value: Buffer.from(bytes).toString('base64url'), encoding: 'base64url', ...(ttlMs === undefined ? {} : { ttlMs }) };
  const result = await clientFor(values, io).request<{ key: string; chunks: number; acks: number; stored: number; verdicts: Record<string, number> }>('POST', '/dht/immutable', body);
  if (values.json === true) printJson(io, result);
  else println(io.stdout, result.key);
  return EXIT.ok;
}

/**
 * `peerlay get imm:<64 hex>`: writes the value's bytes as they are, or in `--encoding` with a newline, or
 * (with `--json`) the API's answer.
 * @throws {@link UsageError} for `--limit`, `--publisher` or an unknown `--encoding`. {@link ApiError} `not-found` / `unreachable` from the node; `bad-value` when the bytes that came
 *   back do not hash to the key (never printed).
 */
export async function getImmutable(values: OptionValues, key: string, io: CommandIo): Promise<ExitCode> {
  if (values.limit !== undefined || values.publisher !== undefined) throw new UsageError('an immutable key names one value with no publisher (drop --limit and --publisher)');
  const encoding = values.encoding;
  if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'hex' && encoding !== 'base64url') {
    throw new UsageError(`--encoding must be one of utf8, hex, base64url, got ${JSON.stringify(encoding)}`);
  }
  const qs = values.local === true ? '?local=true' : '';
  let result: { key: string; value: string; encoding: string; bytes: number };
  try {
    result = await clientFor(values, io).request<{ key: string; value: string; encoding: string; bytes: number }>('GET', `/dht/immutable/${segment(key)}${qs}${qs === '' ? '?' : '&'}encoding=base64url`);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unreachable') {
      throw new ApiError(error.status, error.code, `no storer answered, so whether ${key} is stored is unknown (not "nothing found"); try again later`);
    }
    throw error;
  }
  const bytes = new Uint8Array(Buffer.from(result.value, 'base64url'));
  if (!matchesKey(bytes, parseImmutableKey(key)!)) throw new ApiError(502, 'bad-value', `the node returned ${bytes.length} bytes that do not hash to ${key}; nothing printed`);
  if (values.json === true) printJson(io, result);
  else if (encoding === undefined) io.stdout.write(bytes);
  else println(io.stdout, Buffer.from(bytes).toString(encoding));
  return EXIT.ok;
}
