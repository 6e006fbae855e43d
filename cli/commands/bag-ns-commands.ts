/**
 * `peerlay bag add|search|remove` and `peerlay ns set|get`: clients of a running node's bag and namespace
 * routes.
 * @module
 */
import { segment } from '../client/api-client.js';
import { EXIT } from '../errors.js';
import type { Command } from './command.js';
import { durationOption, intOption, println } from './command.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFor, printJson, short, valueArgument } from './client-common.js';

interface ValueJson {
  value: string;
  encoding: string;
}

function shown(v: ValueJson): string {
  return v.encoding === 'utf8' ? v.value : `${v.encoding}:${v.value}`;
}

const ENCODING_HELP = `
  --encoding E   VALUE is written in utf8 (default), hex or base64url; VALUE "-" reads standard input`;

/** `peerlay bag add KEY VALUE`. */
export const bagAddCommand: Command = {
  path: ['bag', 'add'],
  summary: 'add a value to the bag (a set of signed values) under a key',
  help: `Usage: peerlay bag add KEY VALUE [--ttl DURATION] [--encoding E] [client options]

Adds VALUE, signed by the node, to the set of values under KEY; the node renews it while it runs.
  --ttl D        lifetime with its unit, e.g. 30m, 2h (default 1h)${ENCODING_HELP}${CLIENT_HELP}

Exit: 0 added, 1 failed, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, ttl: { type: 'string' }, encoding: { type: 'string' } },
  positionals: [2, 2],
  async run(values, [key, text], io) {
    const ttlMs = durationOption(values, 'ttl', undefined, 1, 86_400_000);
    const body = { ...(await valueArgument(text!, values, io)), ...(ttlMs === undefined ? {} : { ttlMs }) };
    const result = await clientFor(values, io).request<{ key: string; acks: number }>('POST', `/bag/${segment(key!)}`, body);
    if (values.json === true) printJson(io, result);
    else println(io.stdout, `added to the bag ${result.key} on ${result.acks} node${result.acks === 1 ? '' : 's'}`);
    return EXIT.ok;
  },
};

/** `peerlay bag search KEY`. */
export const bagSearchCommand: Command = {
  path: ['bag', 'search'],
  summary: 'list the values in the bag under a key, a page at a time',
  help: `Usage: peerlay bag search KEY [--limit N] [--cursor C] [--publisher P] [--encoding E] [client options]

Prints one value per line; when more remain, the last line is "cursor C" to pass to --cursor.
  --limit N      at most N values (default 100)
  --cursor C     continue after a previous page
  --publisher P  only the values added by P (a mid, 40 hex digits, or a public key, 148 hex digits)
  --local        only what the node itself holds (no network lookup)
  --encoding E   print values in utf8, hex or base64url (default: text when UTF-8)${CLIENT_HELP}

Exit: 0 ok (even when the bag is empty), 1 failed, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, limit: { type: 'string' }, cursor: { type: 'string' }, publisher: { type: 'string' }, local: { type: 'boolean' }, encoding: { type: 'string' } },
  positionals: [1, 1],
  async run(values, [key], io) {
    const query = new URLSearchParams();
    const limit = intOption(values, 'limit', undefined, 1, 1_000);
    if (limit !== undefined) query.set('limit', String(limit));
    if (typeof values.cursor === 'string') query.set('cursor', values.cursor);
    if (typeof values.publisher === 'string') query.set('publisher', values.publisher);
    if (values.local === true) query.set('local', 'true');
    if (typeof values.encoding === 'string') query.set('encoding', values.encoding);
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    const result = await clientFor(values, io).request<{ values: Array<ValueJson & { mid?: string | null }>; cursor: string | null }>(
      'GET',
      `/bag/${segment(key!)}${qs}`,
    );
    if (values.json === true) {
      printJson(io, result);
      return EXIT.ok;
    }
    for (const v of result.values) println(io.stdout, v.mid == null ? shown(v) : `${shown(v)}\t(by ${short(v.mid)})`);
    if (result.cursor !== null) println(io.stdout, `cursor ${result.cursor}`);
    return EXIT.ok;
  },
};

/** `peerlay bag remove KEY VALUE`. */
export const bagRemoveCommand: Command = {
  path: ['bag', 'remove'],
  summary: 'remove a value this node added to the bag',
  help: `Usage: peerlay bag remove KEY VALUE [--encoding E] [client options]

Withdraws VALUE (added by this node) from the bag under KEY.${ENCODING_HELP}${CLIENT_HELP}

Exit: 0 removed, 1 failed, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, encoding: { type: 'string' } },
  positionals: [2, 2],
  async run(values, [key, text], io) {
    const { value, encoding } = await valueArgument(text!, values, io);
    const valueSegment = encoding === 'utf8' ? `utf8:${value}` : `${encoding === 'hex' ? 'hex' : 'b64'}:${value}`;
    const result = await clientFor(values, io).request<{ key: string; acks: number }>('DELETE', `/bag/${segment(key!)}/${segment(valueSegment)}`);
    if (values.json === true) printJson(io, result);
    else println(io.stdout, `removed from the bag ${result.key} on ${result.acks} node${result.acks === 1 ? '' : 's'}`);
    return EXIT.ok;
  },
};

/** `peerlay ns set KEY VALUE`. */
export const nsSetCommand: Command = {
  path: ['ns', 'set'],
  summary: "set a key in this node's namespace (signed, versioned)",
  help: `Usage: peerlay ns set KEY VALUE [--seq N] [--cas N] [--ttl DURATION] [--encoding E] [client options]

Sets KEY in the node's own namespace (readable by anyone as \`peerlay ns get <its public key> KEY\`).
  --seq N        the version to publish (default: one above the current one)
  --cas N        only if the current version is N (compare-and-swap)
  --ttl D        lifetime with its unit, e.g. 30m, 2h (default 1h); renewed while the node runs${ENCODING_HELP}${CLIENT_HELP}

Exit: 0 set, 1 failed (including a cas mismatch), 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, seq: { type: 'string' }, cas: { type: 'string' }, ttl: { type: 'string' }, encoding: { type: 'string' } },
  positionals: [2, 2],
  async run(values, [key, text], io) {
    const seq = intOption(values, 'seq', undefined, 0, Number.MAX_SAFE_INTEGER);
    const cas = intOption(values, 'cas', undefined, 0, Number.MAX_SAFE_INTEGER);
    const ttlMs = durationOption(values, 'ttl', undefined, 1, 86_400_000);
    const body = { ...(await valueArgument(text!, values, io)), ...(seq === undefined ? {} : { seq }), ...(cas === undefined ? {} : { cas }), ...(ttlMs === undefined ? {} : { ttlMs }) };
    const result = await clientFor(values, io).request<{ publicKey: string; key: string; seq: number; acks: number }>('PUT', `/namespace/${segment(key!)}`, body);
    if (values.json === true) printJson(io, result);
    else {
      println(io.stdout, `set ${result.key} (seq ${result.seq}) on ${result.acks} node${result.acks === 1 ? '' : 's'}; read it with:`);
      println(io.stdout, `peerlay ns get ${result.publicKey} ${key!}`);
    }
    return EXIT.ok;
  },
};

/** `peerlay ns get PUBKEY KEY`. */
export const nsGetCommand: Command = {
  path: ['ns', 'get'],
  summary: "read a key from a node's namespace",
  help: `Usage: peerlay ns get PUBKEY KEY [--local] [--encoding E] [client options]

Prints the newest value of KEY in the namespace of PUBKEY (the public key in hex, as /health shows it).
  --local        only what the node itself holds (no network lookup)
  --encoding E   print the value in utf8, hex or base64url (default: text when UTF-8)${CLIENT_HELP}

Exit: 0 found, 1 not found or failed, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, local: { type: 'boolean' }, encoding: { type: 'string' } },
  positionals: [2, 2],
  async run(values, [publicKey, key], io) {
    const query = new URLSearchParams();
    if (values.local === true) query.set('local', 'true');
    if (typeof values.encoding === 'string') query.set('encoding', values.encoding);
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    const result = await clientFor(values, io).request<ValueJson & { seq: number }>('GET', `/namespace/${segment(publicKey!)}/${segment(key!)}${qs}`);
    if (values.json === true) printJson(io, result);
    else println(io.stdout, `${shown(result)}\t(seq ${result.seq})`);
    return EXIT.ok;
  },
};

/** The bag commands. */
export const bagCommands: readonly Command[] = [bagAddCommand, bagSearchCommand, bagRemoveCommand];
/** The namespace commands. */
export const nsCommands: readonly Command[] = [nsSetCommand, nsGetCommand];
