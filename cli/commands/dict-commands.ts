/**
 * `peerlay dict set|get`: clients of a running node's dictionary routes (`/dht/dict/...`).
 * @module
 */
import { segment } from '../client/api-client.js';
import { EXIT, UsageError } from '../errors.js';
import type { Command, OptionValues } from './command.js';
import { durationOption, intOption, println } from './command.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFor, printJson, short, valueArgument } from './client-common.js';

/** One entry of `GET /dht/dict/{key}`. */
interface EntryJson {
  subkey: string;
  subkeyEncoding: string;
  value: string;
  encoding: string;
  expiresAt: number;
  mid: string | null;
}

const shown = (text: string, encoding: string): string => (encoding === 'utf8' ? text : `${encoding}:${text}`);

/** `--expires-at` as ms since the epoch. @throws {@link UsageError} unless it is an ISO 8601 date and time. */
function expiresAtOption(values: OptionValues): number | undefined {
  const v = values['expires-at'];
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isSafeInteger(ms)) throw new UsageError(`--expires-at must be an ISO 8601 date and time, e.g. 2026-12-24T18:00:00Z, got ${JSON.stringify(v)}`);
  return ms;
}

/** `peerlay dict set KEY SUBKEY VALUE`. */
export const dictSetCommand: Command = {
  path: ['dict', 'set'],
  summary: 'set a subkey of the dictionary under a key (the later expiration wins)',
  help: `Usage: peerlay dict set KEY SUBKEY VALUE [--ttl DURATION | --expires-at ISO8601] [--open] [--encoding E] [client options]

Adds SUBKEY = VALUE to the dictionary under KEY, until an absolute expiration; other subkeys stay. For one
subkey the later expiration wins: a write with an earlier one than the storers hold fails (stale).
  --ttl D          expire this long from now, e.g. 30m, 2h (default 1h)
  --expires-at T   expire at T, an ISO 8601 date and time (e.g. 2026-12-24T18:00:00Z); within 2 min to 24 h
  --open           an open subkey: unsigned, anyone may replace it with a later expiration (default: owned,
                   signed by the node, so only this node can replace it)
  --encoding E     VALUE is written in utf8 (default), hex or base64url; VALUE "-" reads standard input${CLIENT_HELP}

Exit: 0 set, 1 failed (including stale), 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, ttl: { type: 'string' }, 'expires-at': { type: 'string' }, open: { type: 'boolean' }, encoding: { type: 'string' } },
  positionals: [3, 3],
  async run(values, [key, subkey, text], io) {
    const ttlMs = durationOption(values, 'ttl', undefined, 1, 86_400_000);
    const expiresAt = expiresAtOption(values);
    if (ttlMs !== undefined && expiresAt !== undefined) throw new UsageError('give --ttl or --expires-at, not both');
    const body = {
      ...(await valueArgument(text!, values, io)),
      open: values.open === true,
      ...(ttlMs === undefined ? {} : { ttlMs }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
    const result = await clientFor(values, io).request<{ key: string; subkey: string; mid: string | null; expiresAt: number; acks: number }>(
      'PUT',
      `/dht/dict/${segment(key!)}/${segment(subkey!)}`,
      body,
    );
    if (values.json === true) printJson(io, result);
    else {
      const owner = result.mid === null ? 'open' : `owned by ${short(result.mid)}`;
      println(io.stdout, `set ${result.subkey} (${owner}) in the dictionary ${result.key} until ${new Date(result.expiresAt).toISOString()} on ${result.acks} node${result.acks === 1 ? '' : 's'}`);
    }
    return EXIT.ok;
  },
};

/** `peerlay dict get KEY`. */
export const dictGetCommand: Command = {
  path: ['dict', 'get'],
  summary: 'read the dictionary under a key: every subkey, its value, expiration and owner',
  help: `Usage: peerlay dict get KEY [--limit N] [--cursor C] [--owner P] [--local] [--encoding E] [client options]

Prints one subkey per line: SUBKEY, VALUE, its expiration and its owner (or "open"), merged from every storer
the node reached; when more remain, the last line is "cursor C" to pass to --cursor.
  --limit N      at most N subkeys (default 1000)
  --cursor C     continue after a previous page
  --owner P      only the subkeys owned by P (a mid, 40 hex digits, or a public key, 148 hex digits)
  --local        only what the node itself holds (no network lookup)
  --encoding E   print values in utf8, hex or base64url (default: text when UTF-8)${CLIENT_HELP}

Exit: 0 ok (even when the dictionary is empty), 1 failed, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, limit: { type: 'string' }, cursor: { type: 'string' }, owner: { type: 'string' }, local: { type: 'boolean' }, encoding: { type: 'string' } },
  positionals: [1, 1],
  async run(values, [key], io) {
    const query = new URLSearchParams();
    const limit = intOption(values, 'limit', undefined, 1, 1_000);
    if (limit !== undefined) query.set('limit', String(limit));
    for (const name of ['cursor', 'owner', 'encoding']) {
      const v = values[name];
      if (typeof v === 'string') query.set(name, v);
    }
    if (values.local === true) query.set('local', 'true');
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    const result = await clientFor(values, io).request<{ entries: EntryJson[]; cursor: string | null }>('GET', `/dht/dict/${segment(key!)}${qs}`);
    if (values.json === true) {
      printJson(io, result);
      return EXIT.ok;
    }
    for (const e of result.entries) {
      const owner = e.mid === null ? 'open' : `by ${short(e.mid)}`;
      println(io.stdout, `${shown(e.subkey, e.subkeyEncoding)}\t${shown(e.value, e.encoding)}\t(until ${new Date(e.expiresAt).toISOString()}, ${owner})`);
    }
    if (result.cursor !== null) println(io.stdout, `cursor ${result.cursor}`);
    return EXIT.ok;
  },
};

/** The dictionary commands. */
export const dictCommands: readonly Command[] = [dictSetCommand, dictGetCommand];
