/**
 * `peerlay demo`: a local network on UDP loopback doing real work, summarised (see `cli/demo.ts`); with
 * `--web`, drawn live in a browser until Ctrl-C.
 * @module
 */
import { addressKey, parseAddress } from '../../framework/endpoint/address.js';
import type { Address } from '../../framework/endpoint/address.js';
import type { ExitCode } from '../errors.js';
import { EXIT, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { intOption, println, stringOption } from './command.js';

/** Default address of the demo's network view. */
export const DEFAULT_DEMO_HTTP = '127.0.0.1:8088';

/** `peerlay demo`. */
export const demoCommand: Command = {
  path: ['demo'],
  summary: 'run a local network on 127.0.0.1 doing real work and print a summary (--web: watch it in a browser)',
  help: `Usage: peerlay demo [--nodes N] [--json] [--web [--http 127.0.0.1:8088]]

Starts N nodes on UDP loopback in this process, stores and finds signed values, updates versions and
connects peers by mid, then prints success rates and latencies.
  --nodes N      nodes in the local network (default 32, at least 4)
  --json         print the summary as JSON
  --web          also serve a view of the whole network at http://${DEFAULT_DEMO_HTTP}/ (every node on a ring
                 by its id, every lookup drawn as it runs) and keep the network running, a lookup every
                 second, until Ctrl-C
  --http H:P     with --web: where the view listens, a loopback address (port 0 picks a free one)

Exit: 0 if every operation succeeded, 1 otherwise.`,
  options: { nodes: { type: 'string' }, json: { type: 'boolean' }, web: { type: 'boolean' }, http: { type: 'string' } },
  positionals: [0, 0],
  async run(values, _positionals, io) {
    const nodes = intOption(values, 'nodes', undefined, 1, 10_000);
    const http = webAddress(values.web === true, values.http === undefined ? undefined : stringOption(values, 'http'));
    const { runDemo } = await import('../demo.js');
    if (http === undefined) {
      const code = await runDemo({ nodes, json: values.json === true, out: io.stdout });
      return code === 0 ? EXIT.ok : (EXIT.failed as ExitCode);
    }
    const stop = new AbortController();
    const onSignal = (): void => {
      if (stop.signal.aborted) process.exit(130); // a second Ctrl-C: do not wait for the clean stop
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const onListening = values.json === true ? (url: string) => println(io.stderr, `view ${url}`) : undefined;
      const code = await runDemo({ nodes, json: values.json === true, out: io.stdout, web: { http, signal: stop.signal, onListening } });
      return code === 0 ? EXIT.ok : (EXIT.failed as ExitCode);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/** The view's address with `--web`, `undefined` without; the view has no token, so loopback only. */
function webAddress(web: boolean, text: string | undefined): Address | undefined {
  if (!web) {
    if (text !== undefined) throw new UsageError('--http goes with --web');
    return undefined;
  }
  let address: Address;
  try {
    address = parseAddress(text ?? DEFAULT_DEMO_HTTP);
  } catch (cause) {
    throw new UsageError(`--http: ${(cause as Error).message}`, { cause });
  }
  if (address.host !== '::1' && !/^127\./.test(address.host)) {
    throw new UsageError(`--http must be a loopback address (the demo's view has no token), got ${addressKey(address)}`);
  }
  return address;
}
