/**
 * What every client command shares: `--api`, `--token`, `--json`, and reading a VALUE argument.
 * @module
 */
import { ApiClient, DEFAULT_API_URL } from '../client/api-client.js';
import { UsageError } from '../errors.js';
import type { EncodedValue, ValueEncoding } from '../http/codec.js';
import type { CommandIo, OptionSpecs, OptionValues } from './command.js';
import { println } from './command.js';

/** Options of every client command. */
export const CLIENT_OPTIONS: OptionSpecs = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
};

/** The help lines of {@link CLIENT_OPTIONS}. */
export const CLIENT_HELP = `
  --api URL      the node's HTTP API (default $PEERLAY_API or ${DEFAULT_API_URL})
  --token T      API token (default $PEERLAY_TOKEN)
  --json         print the API's JSON answer instead of text`;


/** Value encodings a VALUE argument can be given in (the API's). */
const VALUE_ENCODINGS: readonly ValueEncoding[] = ['utf8', 'hex', 'base64url'];

/** The client for the node named by `--api`/`PEERLAY_API`. */
export function clientFor(values: OptionValues, io: CommandIo): ApiClient {
  const url = typeof values.api === 'string' ? values.api : (io.env.PEERLAY_API || DEFAULT_API_URL);
  const token = typeof values.token === 'string' ? values.token : io.env.PEERLAY_TOKEN;
  return new ApiClient({ url, token: token === '' ? undefined : token });
}

/**
 * The `{ value, encoding }` JSON of a VALUE argument: the text as given (in `--encoding`, default utf8), or
 * standard input when VALUE is `-` (sent as base64url, so any bytes pass).
 * @throws {@link UsageError} for an unknown encoding.
 */
export async function valueArgument(text: string, values: OptionValues, io: CommandIo): Promise<EncodedValue> {
  const encoding = typeof values.encoding === 'string' ? values.encoding : 'utf8';
  if (!isEncoding(encoding)) throw new UsageError(`--encoding must be one of ${VALUE_ENCODINGS.join(', ')}, got ${JSON.stringify(encoding)}`);
  if (text === '-') return { value: Buffer.from(await io.readStdin()).toString('base64url'), encoding: 'base64url' };
  return { value: text, encoding };
}

/** Prints `body` as JSON (for `--json`). */
export function printJson(io: CommandIo, body: unknown): void {
  println(io.stdout, JSON.stringify(body, null, 2));
}

/** "23h 59m", "42s": a duration in ms for people. */
export function duration(ms: number): string {
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3_600)}h ${Math.floor((seconds % 3_600) / 60)}m`;
}

/** The first 12 hex digits of an id, for people. */
export function short(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 12)}…` : hex;
}

function isEncoding(text: string): text is ValueEncoding {
  return (VALUE_ENCODINGS as readonly string[]).includes(text);
}
