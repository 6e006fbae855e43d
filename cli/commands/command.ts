/**
 * The shape of a `peerlay` command and the argument parsing they share (node:util `parseArgs`, strict:
 * unknown options and missing values are usage errors).
 * @module
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import type { ExitCode } from '../errors.js';

/** Where a command writes, and its environment. */
export interface CommandIo {
  /** Normal output (the result). */
  readonly stdout: Writable;
  /** Diagnostics and errors. */
  readonly stderr: Writable;
  /** Environment variables (`PEERLAY_API`, `PEERLAY_TOKEN`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads standard input in full (for a `-` value). */
  readonly readStdin: () => Promise<Uint8Array>;
}

/** Option definitions as `parseArgs` takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Parsed options: strings, booleans, or arrays of them for `multiple` options. */
export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** One command (or sub-command) of the CLI. */
export interface Command {
  /** The words that select it, e.g. `['bag', 'add']`. */
  readonly path: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line(s) and option descriptions printed by `--help`. */
  readonly help: string;
  /** Its options (`--help` is added to every command). */
  readonly options: OptionSpecs;
  /** How many positionals it takes: [min, max]. */
  readonly positionals: readonly [min: number, max: number];
  /** Runs it; returns the exit code. Throws named errors, which `main` maps to exit codes. */
  run(values: OptionValues, positionals: readonly string[], io: CommandIo): Promise<ExitCode>;
}

/** A command's parsed arguments. */
export interface ParsedArgs {
  /** The options. */
  values: OptionValues;
  /** The positional arguments. */
  positionals: string[];
}

/**
 * Parses a command's arguments.
 * @param command the command.
 * @param args the arguments after the command's words.
 * @returns the options and positionals, or `'help'` when `--help`/`-h` was given.
 * @throws {@link UsageError} for unknown options, missing option values or a wrong number of positionals.
 */
export function parseCommandArgs(command: Command, args: readonly string[]): ParsedArgs | 'help' {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as ParsedArgs;
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message.split('\n')[0]}`, { cause });
  }
  if (parsed.values.help === true) return 'help';
  const [min, max] = command.positionals;
  const n = parsed.positionals.length;
  if (n < min || n > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new UsageError(`expected ${expected} argument${max === 1 ? '' : 's'}, got ${n}`);
  }
  return parsed;
}

/**
 * An option as a string.
 * @throws {@link UsageError} if it is absent and has no fallback.
 */
export function stringOption(values: OptionValues, name: string, fallback?: string): string {
  const v = values[name];
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`--${name} is required`);
}

/**
 * An option as an integer in a range.
 * @throws {@link UsageError} if it is not an integer in `min..max`.
 */
export function intOption(values: OptionValues, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** Milliseconds per duration unit of {@link durationOption}. */
const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration option with its unit (`1500ms`, `90s`, `30m`, `2h`, `1d`), in ms: every duration of the
 * command line says its unit, so nobody mistakes seconds for milliseconds.
 * @throws {@link UsageError} for a number without a unit, an unknown unit, or a value out of range.
 */
export function durationOption(values: OptionValues, name: string, fallbackMs: number | undefined, minMs: number, maxMs: number): number | undefined {
  const v = values[name];
  if (v === undefined) return fallbackMs;
  const m = typeof v === 'string' ? /^(\d+)(ms|s|m|h|d)$/.exec(v) : null;
  const ms = m === null ? Number.NaN : Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
  if (!Number.isSafeInteger(ms) || ms < minMs || ms > maxMs) {
    throw new UsageError(`--${name} must be a duration with its unit (e.g. 1500ms, 90s, 30m, 2h, 1d) from ${minMs} ms to ${maxMs} ms, got ${JSON.stringify(v)}`);
  }
  return ms;
}

/** Writes a line. */
export function println(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
