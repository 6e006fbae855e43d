/**
 * A minimal logger interface; the default is silent so a library never prints on its own.
 * @module
 */

/** Where Peerlay components write diagnostic lines. */
export interface Logger {
  /** Detail useful when debugging a protocol. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Something noteworthy happened. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong but the node carries on. */
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that discards everything (the default). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

/** A logger writing one line per call to stderr, for the CLI's `--verbose`. */
export function consoleLogger(prefix = '', minLevel: 'debug' | 'info' | 'warn' = 'info'): Logger {
  const order = { debug: 0, info: 1, warn: 2 } as const;
  const write = (level: keyof typeof order) => (message: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    const extra = fields === undefined ? '' : ` ${JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
    process.stderr.write(`${prefix}${level} ${message}${extra}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn') };
}
