/**
 * `npm start`: the demo — a local network of nodes on UDP loopback doing real work, shown plainly.
 * Same as `peerlay demo`.
 */
import 'reflect-metadata';
import { runDemo } from '../cli/demo.js';

const nodesArg = process.argv.indexOf('--nodes');
const nodes = nodesArg > 0 ? Number(process.argv[nodesArg + 1]) : undefined;
process.exitCode = await runDemo({ nodes });
