/**
 * `peerlay demo`: a local network on UDP loopback doing real work, summarised (see `cli/demo.ts`).
 * @module
 */
import type { ExitCode } from '../errors.js';
import { EXIT } from '../errors.js';
import type { Command } from './command.js';
import { intOption } from './command.js';

/** `peerlay demo`. */
export const demoCommand: Command = {
  path: ['demo'],
  summary: 'run a local network on 127.0.0.1 doing real work and print a summary',
  help: `Usage: peerlay demo [--nodes N] [--json]

Starts N nodes on UDP loopback in this process, stores and finds signed values, updates versions and
connects peers by mid, then prints success rates and latencies.
  --nodes N      nodes in the local network (default 32, at least 4)
  --json         print the summary as JSON

Exit: 0 if every operation succeeded, 1 otherwise.`,
  options: { nodes: { type: 'string' }, json: { type: 'boolean' } },
  positionals: [0, 0],
  async run(values, _positionals, io) {
    const nodes = intOption(values, 'nodes', undefined, 1, 10_000);
    const { runDemo } = await import('../demo.js');
    const code = await runDemo({ nodes, json: values.json === true, out: io.stdout });
    return code === 0 ? EXIT.ok : (EXIT.failed as ExitCode);
  },
};
