/**
 * The bulk and expiry forms of `peerlay put` and `peerlay get`: `put --many FILE`, `put --expires-at`,
 * `get KEY1 KEY2 ...` (through `POST /dht/store-many` and `POST /dht/find-many`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { EXIT, UsageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import type { CommandIo, OptionValues } from './command.js';
import { println } from './command.js';
import { clientFor, duration, printJson, short } from './client-common.js';

/** Help lines of the bulk and expiry options of `peerlay put`. */
export const PUT_BULK_HELP = `  --expires-at T when the value expires, an ISO 8601 time (e.g. 2026-12-31T23:00:00Z; not with --ttl);
                 beyond 24h (up to 30 days) the node renews it every day while it runs
  --many FILE    store every item of FILE (- for standard input), a JSON array of
                 {"key", "value", "encoding"?, "sign"?, "ttlMs"?, "expiresAt"?}, as one operation; no KEY VALUE`;

/** Help lines of the bulk and freshness options of `peerlay get`. */
export const GET_BULK_HELP = `  --latest       ask every one of the k closest nodes and print the freshest value first (skips the cache)
  --no-cache     do not answer from the node's cache of recent finds
Several KEYs are found as one operation (lookups shared), each key's values under a "KEY:" line.`;

/**
 * `--expires-at` as ms since the epoch.
 * @throws {@link UsageError} for a time that does not parse, or together with `--ttl`.
 */
export function expiresAtOption(values: OptionValues): number | undefined {
  const v = values['expires-at'];
  if (v === undefined) return undefined;
  if (values.ttl !== undefined) throw new UsageError('give --ttl or --expires-at, not both');
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--expires-at must be an ISO 8601 time such as 2026-12-31T23:00:00Z, got ${JSON.stringify(v)}`);
  return ms;
}

interface ManyItem {
  key: string;
  value: string;
  encoding?: string;
  sign?: boolean;
  ttlMs?: number;
  expiresAt?: number | string;
}

/** `peerlay put --many FILE`. */
export async function putMany(values: OptionValues, io: CommandIo): Promise<ExitCode> {
  const file = values.many;
  if (typeof file !== 'string') throw new UsageError('--many needs a file');
  const text = file === '-' ? new TextDecoder().decode(await io.readStdin()) : readText(file);
  let items: ManyItem[];
  try {
    items = JSON.parse(text) as ManyItem[];
  } catch (error) {
    throw new UsageError(`--many ${file}: not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(items) || items.length === 0) throw new UsageError(`--many ${file}: must be a non-empty JSON array of items`);
  const body = items.map((item, i) => {
    if (typeof item !== 'object' || item === null) throw new UsageError(`--many ${file}: item ${i} is not an object`);
    const at = item.expiresAt;
    const expiresAt = typeof at === 'string' ? Date.parse(at) : at;
    if (expiresAt !== undefined && !Number.isFinite(expiresAt)) throw new UsageError(`--many ${file}: item ${i} has an expiresAt that is not a time`);
    return { ...item, ...(expiresAt === undefined ? {} : { expiresAt }) };
  });
  const result = await clientFor(values, io).request<{ results: Array<{ key: string; ok: boolean; acks?: number; error?: { code: string; message: string } }> }>(
    'POST',
    '/dht/store-many',
    { items: body },
  );
  if (values.json === true) printJson(io, result);
  else {
    result.results.forEach((r, i) => {
      const name = items[i]!.key;
      println(io.stdout, r.ok ? `${name}: stored on ${r.acks} node${r.acks === 1 ? '' : 's'}` : `${name}: not stored (${r.error?.code}: ${r.error?.message})`);
    });
  }
  return result.results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}

interface ValueLine {
  value: string;
  encoding: string;
  signed: boolean;
  mid: string | null;
  version: number;
  ttlMs: number;
}

/** `peerlay get KEY1 KEY2 ...`: every key's values; exit 0 when every key had one. */
export async function getMany(keys: readonly string[], query: URLSearchParams, values: OptionValues, io: CommandIo): Promise<ExitCode> {
  const body = {
    keys,
    ...(query.has('limit') ? { limit: Number(query.get('limit')) } : {}),
    ...(query.has('encoding') ? { encoding: query.get('encoding') } : {}),
    latest: query.has('latest'),
    cache: query.get('cache') !== 'false',
  };
  const result = await clientFor(values, io).request<{ results: Array<{ key: string; ok: boolean; values?: ValueLine[]; error?: { code: string; message: string } }> }>(
    'POST',
    '/dht/find-many',
    body,
  );
  if (values.json === true) {
    printJson(io, result);
  } else {
    result.results.forEach((r, i) => {
      println(io.stdout, `${keys[i]}:`);
      if (!r.ok) println(io.stdout, `  (${r.error?.code === 'unreachable' ? 'no node answered; try again later' : `${r.error?.code}: ${r.error?.message}`})`);
      else if (r.values!.length === 0) println(io.stdout, '  (nothing found)');
      for (const v of r.values ?? []) println(io.stdout, `  ${valueLine(v)}`);
    });
  }
  return result.results.every((r) => r.ok && r.values!.length > 0) ? EXIT.ok : EXIT.failed;
}

/** One value for people: the value and who signed it, how long it lives. */
export function valueLine(v: ValueLine): string {
  const who = v.signed ? `signed by ${short(v.mid ?? '')} v${v.version}` : 'unsigned';
  const shown = v.encoding === 'utf8' ? v.value : `${v.encoding}:${v.value}`;
  return `${shown}\t(${who}, expires in ${duration(v.ttlMs)})`;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--many ${file}: cannot read it (${(error as Error).message})`);
  }
}
