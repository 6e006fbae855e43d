/**
 * `peerlay provide KEY [--port P] [--ttl D] [--stop]` and `peerlay providers KEY`: clients of a running
 * node's provider routes.
 * @module
 */
import { segment } from '../client/api-client.js';
import { EXIT } from '../errors.js';
import type { ProviderJson } from '../http/routes/providers.js';
import type { Command } from './command.js';
import { durationOption, intOption, println } from './command.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFor, printJson, short } from './client-common.js';

/** `peerlay provide KEY`. */
export const provideCommand: Command = {
  path: ['provide'],
  summary: 'announce that the node provides a key (a provider record)',
  help: `Usage: peerlay provide KEY [--port P] [--ttl DURATION] [--stop] [client options]

Announces on the DHT that the node provides KEY: finders get its mid, public key and address, the IP the
storers saw the announcement come from with port P. The node re-announces it while it runs.
  --port P       the port finders should use (default 0: implied, the node's UDP port as the storers see it)
  --ttl D        lifetime of one announcement with its unit, e.g. 30m, 2h (default 1h); renewed before it ends
  --stop         stop providing KEY (the announcement then expires on the storers)${CLIENT_HELP}

Exit: 0 announced (or stopped), 1 failed, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, port: { type: 'string' }, ttl: { type: 'string' }, stop: { type: 'boolean' } },
  positionals: [1, 1],
  async run(values, [key], io) {
    const client = clientFor(values, io);
    if (values.stop === true) {
      const result = await client.request<{ key: string; stopped: boolean }>('DELETE', `/dht/providers/${segment(key!)}`);
      if (values.json === true) printJson(io, result);
      else println(io.stdout, result.stopped ? `stopped providing ${result.key}` : `the node was not providing ${result.key}`);
      return EXIT.ok;
    }
    const port = intOption(values, 'port', undefined, 0, 65_535);
    const ttlMs = durationOption(values, 'ttl', undefined, 1, 86_400_000);
    const body = { ...(port === undefined ? {} : { port }), ...(ttlMs === undefined ? {} : { ttlMs }) };
    const result = await client.request<{ key: string; port: number; acks: number }>('PUT', `/dht/providers/${segment(key!)}`, body);
    if (values.json === true) printJson(io, result);
    else {
      const port = result.port === 0 ? 'its UDP port as the storers see it' : `port ${result.port}`;
      println(io.stdout, `providing ${result.key} (${port}) on ${result.acks} node${result.acks === 1 ? '' : 's'}`);
    }
    return EXIT.ok;
  },
};

/** `peerlay providers KEY`. */
export const providersCommand: Command = {
  path: ['providers'],
  summary: 'find the nodes that provide a key',
  help: `Usage: peerlay providers KEY [--limit N] [--local] [client options]

Prints one provider per line: its address (the IP its storers saw, the port it named), mid and expiry.
  --limit N      at most N providers; the lookup stops once it has them (default 20)
  --local        only what the node itself holds (no network lookup)${CLIENT_HELP}

Exit: 0 ok (even when nobody provides KEY), 1 failed, 2 bad input, 3 node unreachable.`,
  options: { ...CLIENT_OPTIONS, limit: { type: 'string' }, local: { type: 'boolean' } },
  positionals: [1, 1],
  async run(values, [key], io) {
    const query = new URLSearchParams();
    const limit = intOption(values, 'limit', undefined, 1, 1_000);
    if (limit !== undefined) query.set('limit', String(limit));
    if (values.local === true) query.set('local', 'true');
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    const result = await clientFor(values, io).request<{ key: string; providers: ProviderJson[] }>('GET', `/dht/providers/${segment(key!)}${qs}`);
    if (values.json === true) {
      printJson(io, result);
      return EXIT.ok;
    }
    if (result.providers.length === 0) println(io.stderr, `nobody provides ${result.key}`);
    for (const p of result.providers) println(io.stdout, `${p.address}\t${short(p.mid)}\texpires ${new Date(p.expiresAt).toISOString()}`);
    return EXIT.ok;
  },
};

/** The provider commands. */
export const providerCommands: readonly Command[] = [provideCommand, providersCommand];
