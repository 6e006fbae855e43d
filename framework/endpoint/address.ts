/**
 * Network addresses: a host (IPv4 dotted quad or IPv6 text) and a UDP port.
 * @module
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';

/** A UDP address. `host` is a literal IPv4 or IPv6 address, never a name. */
export interface Address {
  /** IPv4 (`127.0.0.1`) or IPv6 (`::1`) literal. */
  readonly host: string;
  /** UDP port, 0..65535. */
  readonly port: number;
}

/** `host:port`, with IPv6 hosts in brackets (`[::1]:8090`): a stable map key and display form. */
export function addressKey(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** True if both addresses have the same host and port. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && a.host === b.host;
}

/** IP family of an address: 4 or 6. */
export function addressFamily(a: Address): 4 | 6 {
  return a.host.includes(':') ? 6 : 4;
}

/**
 * Parses `HOST:PORT` or `[IPV6]:PORT`.
 * @throws {@link InvalidArgumentError} when the text is not a literal IP address with a valid port.
 */
export function parseAddress(text: string): Address {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (host === undefined || isIP(host) === 0 || !isValidPort(port)) {
    throw new InvalidArgumentError(`expected HOST:PORT or [IPV6]:PORT with a literal IP, got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

/** True for an integer port in 0..65535. */
export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65_535;
}
