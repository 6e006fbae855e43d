/**
 * `peerlay node`: runs a node until SIGINT or SIGTERM.
 * @module
 */
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
// Only light modules here: the node itself is imported when the command runs, so that the client commands
// sharing this entry point start fast.
import type { Address } from '../../framework/endpoint/address.js';
import { addressKey, parseAddress } from '../../framework/endpoint/address.js';
import { consoleLogger, silentLogger } from '../../framework/log/logger.js';
import { EXIT, UsageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import type { PeerlayNode } from '../node/peerlay-node.js';
import type { Command, CommandIo, OptionValues } from './command.js';
import { intOption, println, stringOption } from './command.js';

/** Default UDP port of `peerlay node`. */
export const DEFAULT_UDP_PORT = 8090;
/** Default address of the HTTP API. */
export const DEFAULT_HTTP = '127.0.0.1:8091';
/** After a stop signal, the process exits this long later at the latest, in ms. */
const FORCED_EXIT_MS = 5_000;

/** `peerlay node`. */
export const nodeCommand: Command = {
  path: ['node'],
  summary: 'run a node (DHT, discovery, bag, namespace) with a JSON HTTP API',
  help: `Usage: peerlay node [--port 8090] [--host 127.0.0.1] [--bootstrap HOST:PORT ...] [--state DIR [--recover-state]]
                    [--http 127.0.0.1:8091 | --http off] [--token T | --token auto] [--relay] [--no-birthday] [--verbose]

Runs a node on UDP until SIGINT or SIGTERM, and prints its identity:
  mid <hex>                 its id; \`peerlay connect <hex>\` finds it
  address 127.0.0.1:8090    what another node passes to --bootstrap
  http http://127.0.0.1:8091  its JSON API (see README "Run a node")

  --port N            UDP port (0 picks a free one; default ${DEFAULT_UDP_PORT})
  --host IP           UDP address to bind (default 127.0.0.1; 0.0.0.0 or :: for all interfaces)
  --bootstrap H:P     a node to join through; repeat it or separate with commas
  --state DIR         keep the key (DIR/peer.key, mode 0600), the routing table and every record held
                      (DIR/node.mdb: values, bag entries, namespace records) across restarts; a restarted
                      node rejoins without --bootstrap. The database is checked at start: a damaged one
                      stops the node with exit 4 and says what is wrong
  --recover-state     with --state: move a damaged node.mdb aside (node.mdb.damaged-<time>) and start with an
                      empty database, keeping the key
  --http H:P | off    where the HTTP API listens (default ${DEFAULT_HTTP}; port 0 picks a free one)
  --token T | auto    require "Authorization: Bearer T" on the API; "auto" generates and prints one.
                      Required when --http is not a loopback address.
  --cache             keep found values and answer a repeated find from them for up to 60 s (a cached
                      answer can miss an update published meanwhile; ?cache=false / --no-cache skip it)
  --relay             volunteer as a relay for nodes that cannot be reached directly (both behind symmetric
                      NATs): each client gets a UDP port of this host for 60 s per refresh; at most 64
                      clients (2 per IP), 64 KiB/s per relayed pair, 128 KiB/s per client, 1 MiB/s in all;
                      only to peers that wrote to the client's port first (see docs/relay.md). Off by default
  --no-birthday       do not try birthday probing when one side of a connect is behind a symmetric NAT and
                      the other behind a cone NAT (by default the symmetric side opens 256 UDP sockets for
                      6 s, the cone side sends 2,000 8-byte probes over 1.6 s; see docs/nat-traversal.md)
  --verbose           log what the node does to stderr

Exit: 0 after a clean stop, 1 the node could not start (port in use, state locked), 2 bad options,
4 the state database is damaged (start again with --recover-state).`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    state: { type: 'string' },
    'recover-state': { type: 'boolean' },
    cache: { type: 'boolean' },
    relay: { type: 'boolean' },
    'no-birthday': { type: 'boolean' },
    http: { type: 'string' },
    token: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  },
  positionals: [0, 0],
  async run(values, _positionals, io) {
    const config = nodeConfig(values);
    const logger = values.verbose === true ? consoleLogger('', 'debug') : silentLogger;
    const signals = new StopSignals(io); // before anything else, so an early signal still stops cleanly
    let node: PeerlayNode;
    try {
      const { PeerlayNode } = await import('../node/peerlay-node.js');
      node = await PeerlayNode.start({ ...config, logger });
    } catch (error) {
      signals.dispose();
      throw error;
    }
    if (values.verbose === true) {
      node.dht.on('contact:added', (c) => logger.debug('contact added', { address: addressKey(c.address) }));
      node.dht.on('contact:removed', (c) => logger.debug('contact removed', { address: addressKey(c.address) }));
      node.dht.on('value:stored', (key, origin) => logger.debug('value stored', { key: Buffer.from(key).toString('hex'), origin }));
    }
    println(io.stdout, `mid ${node.host.midHex}`);
    println(io.stdout, `address ${addressKey(node.address)}`);
    if (node.address.host === '0.0.0.0' || node.address.host === '::') {
      println(io.stderr, `(listening on every interface: other nodes --bootstrap from this machine's IP address, port ${node.address.port})`);
    }
    const api = node.apiAddress;
    if (api !== undefined) println(io.stdout, `http http://${addressKey(api)}`);
    if (values.token === 'auto') println(io.stdout, `token ${config.token}`);
    if (config.stateDir !== undefined) println(io.stdout, `state ${config.stateDir}`);
    if (config.relay) println(io.stdout, 'relay on');
    const recovered = node.stateReport?.recovered;
    if (recovered !== undefined) println(io.stderr, `the state database was damaged (${recovered.reason}); moved it to ${recovered.movedTo} and started with an empty one`);
    for (const warning of node.stateReport?.warnings ?? []) println(io.stderr, `warning: ${warning}`);
    return signals.stopOnSignal(node);
  },
};

/** The node's options from the command line. */
function nodeConfig(values: OptionValues): {
  host: string;
  port: number;
  bootstrap: Address[];
  stateDir: string | undefined;
  recoverState: boolean;
  http: Address | null;
  token: string | undefined;
  dht: { valueCache: { enabled: boolean } };
  relay: boolean;
  birthday: boolean;
} {
  const host = stringOption(values, 'host', '127.0.0.1');
  if (isIP(host) === 0) throw new UsageError(`--host must be an IP address, got ${JSON.stringify(host)}`);
  const port = intOption(values, 'port', DEFAULT_UDP_PORT, 0, 65_535)!;
  const bootstrap = ((values.bootstrap as string[] | undefined) ?? []).flatMap((b) => b.split(',')).filter((b) => b !== '').map((b) => usageAddress('--bootstrap', b));
  const httpText = stringOption(values, 'http', DEFAULT_HTTP);
  const http = httpText === 'off' ? null : usageAddress('--http', httpText);
  let token = typeof values.token === 'string' ? values.token : undefined;
  if (token === 'auto') token = randomBytes(24).toString('base64url');
  if (token !== undefined && token.length < 8) throw new UsageError('--token must be at least 8 characters (or "auto")');
  if (http !== null && !isLoopback(http.host) && token === undefined) {
    throw new UsageError(`the API would listen on ${addressKey(http)}, which is not loopback: give --token T or --token auto`);
  }
  const stateDir = typeof values.state === 'string' ? values.state : undefined;
  if (stateDir === '') throw new UsageError('--state needs a directory');
  const recoverState = values['recover-state'] === true;
  if (recoverState && stateDir === undefined) throw new UsageError('--recover-state goes with --state DIR');
  return { host, port, bootstrap, stateDir, recoverState, http, token, dht: { valueCache: { enabled: values.cache === true } }, relay: values.relay === true, birthday: values['no-birthday'] !== true };
}

function usageAddress(option: string, text: string): Address {
  try {
    return parseAddress(text);
  } catch (cause) {
    throw new UsageError(`${option}: ${(cause as Error).message}`, { cause });
  }
}

/** True for 127.0.0.0/8 and ::1. */
function isLoopback(host: string): boolean {
  return host === '::1' || /^127\./.test(host);
}

/**
 * SIGINT and SIGTERM handling: the first signal stops the node cleanly (exit 0), a second one exits at once
 * (130), and a stop that hangs ends the process after {@link FORCED_EXIT_MS}. While the node runs, a promise
 * rejected without a handler (a bug, never bad input) is reported on stderr instead of ending the process.
 */
class StopSignals {
  private received: NodeJS.Signals | undefined;
  private onStop: (() => void) | undefined;
  private readonly handler = (signal: NodeJS.Signals): void => {
    if (this.received !== undefined) {
      println(this.io.stderr, `${signal} again: exiting without a clean stop`);
      process.exit(130);
    }
    this.received = signal;
    setTimeout(() => process.exit(EXIT.failed), FORCED_EXIT_MS).unref();
    this.onStop?.();
  };

  private readonly onRejection = (reason: unknown): void => {
    println(this.io.stderr, `warn unhandled rejection (the node keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };

  constructor(private readonly io: CommandIo) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    process.on('unhandledRejection', this.onRejection);
  }

  /** Removes the handlers. */
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    process.off('unhandledRejection', this.onRejection);
  }

  /** Resolves with exit code 0 once a signal arrived (perhaps already) and the node stopped. */
  stopOnSignal(node: PeerlayNode): Promise<ExitCode> {
    return new Promise((resolve) => {
      const stop = (): void => {
        node.stop().then(
          () => {
            this.dispose();
            resolve(EXIT.ok);
          },
          (error: unknown) => {
            println(this.io.stderr, `error while stopping: ${(error as Error).message}`);
            process.exit(EXIT.failed);
          },
        );
      };
      if (this.received !== undefined) stop();
      else this.onStop = stop;
    });
  }
}
