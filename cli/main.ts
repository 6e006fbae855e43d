#!/usr/bin/env node
/**
 * The `peerlay` command line: `peerlay node` runs a node with a JSON HTTP API; `put`, `get`, `connect`,
 * `bag`, `ns`, `dict` and `status` talk to a running node's API; `demo` runs a local network.
 *
 * Exit codes: 0 ok, 1 the operation failed, 2 usage error, 3 the node is unreachable.
 *
 * @example
 * ```sh
 * peerlay node --port 8090 --state ./node1
 * peerlay put greeting hello --sign
 * peerlay get greeting
 * ```
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bagCommands, nsCommands } from './commands/bag-ns-commands.js';
import type { Command, CommandIo } from './commands/command.js';
import { parseCommandArgs, println } from './commands/command.js';
import { connectCommand, getCommand, putCommand, statusCommand } from './commands/dht-commands.js';
import { demoCommand } from './commands/demo-command.js';
import { dictCommands } from './commands/dict-commands.js';
import { nodeCommand } from './commands/node-command.js';
import { pingCommand } from './commands/ping-command.js';
import { providerCommands } from './commands/provider-commands.js';
import type { ExitCode } from './errors.js';
import { EXIT, ApiError, exitCodeOf, UsageError } from './errors.js';
import { peerlayVersion } from './version.js';

/** Every command, in the order `peerlay --help` lists them. */
export const COMMANDS: readonly Command[] = [
  nodeCommand,
  putCommand,
  getCommand,
  connectCommand,
  pingCommand,
  ...bagCommands,
  ...nsCommands,
  ...dictCommands,
  ...providerCommands,
  statusCommand,
  demoCommand,
];

/** The top-level help. */
export function mainHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(12)} ${c.summary}`);
  return `Usage: peerlay <command> [options]     (peerlay <command> --help for its options)

Commands:
${rows.join('\n')}

Options: --help, --version
Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 node unreachable.`;
}

/** The standard streams and environment of this process. */
export function processIo(): CommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}

/**
 * Runs the command line.
 * @param argv the arguments after `peerlay`.
 * @param io where to write. @default the process's streams
 * @returns the exit code.
 */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<ExitCode> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv.slice(1) : [];
    const command = topic.length > 0 ? findCommand(topic) : undefined;
    println(first === undefined ? io.stderr : io.stdout, command?.command.help ?? mainHelp());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    println(io.stdout, peerlayVersion());
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const group = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === first);
    const asksHelp = group.length > 0 && (argv[1] === '--help' || argv[1] === '-h');
    println(asksHelp ? io.stdout : io.stderr, group.length > 0 ? groupHelp(first, group) : `peerlay: unknown command ${JSON.stringify(first)}\n\n${mainHelp()}`);
    return asksHelp ? EXIT.ok : EXIT.usage;
  }
  const { command, rest } = found;
  try {
    const parsed = parseCommandArgs(command, rest);
    if (parsed === 'help') {
      println(io.stdout, command.help);
      return EXIT.ok;
    }
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    const code = exitCodeOf(error);
    const label = error instanceof ApiError ? `${error.code}: ${error.message}` : (error as Error).message;
    println(io.stderr, `peerlay ${command.path.join(' ')}: ${label}`);
    if (error instanceof UsageError) println(io.stderr, `(peerlay ${command.path.join(' ')} --help for usage)`);
    if (io.env.PEERLAY_DEBUG !== undefined && error instanceof Error) println(io.stderr, String(error.stack));
    return code;
  }
}

function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  const byLength = [...COMMANDS].sort((a, b) => b.path.length - a.path.length);
  const command = byLength.find((c) => c.path.every((word, i) => argv[i] === word));
  return command === undefined ? undefined : { command, rest: argv.slice(command.path.length) };
}

function groupHelp(name: string, commands: readonly Command[]): string {
  return `Usage: peerlay ${name} <${commands.map((c) => c.path[1]).join('|')}> ...\n\n${commands.map((c) => c.help).join('\n\n')}`;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
