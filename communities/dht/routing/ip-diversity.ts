/**
 * IP diversity for the routing table (libp2p's IP-group caps, libtorrent's one node per /24 per bucket):
 * an {@link AdmitPolicy} that admits at most a few contacts per IP group (an IPv4 /24 or an IPv6 /48) per
 * bucket and per table, so one operator holding one address range cannot fill a node's table with Sybils
 * and eclipse it. Loopback, private and link-local addresses are exempt by default, so LAN and test
 * networks keep working.
 * @module
 */
import { InvalidArgumentError } from '../../../framework/errors.js';
import { canonicalIpBytes, isLocalHost } from '../../../framework/wire/ip.js';
import type { Contact } from './contact.js';
import type { AdmitPolicy } from './options.js';

/** Default most contacts of one IP group in one bucket (libp2p). */
export const DEFAULT_MAX_PER_IP_GROUP_PER_BUCKET = 2;
/** Default most contacts of one IP group in the whole table (libp2p). */
export const DEFAULT_MAX_PER_IP_GROUP_PER_TABLE = 3;

/** Options of {@link ipDiversityPolicy}. */
export interface IpDiversityOptions {
  /** Most contacts of one IP group in one bucket (an integer >= 1, or `Infinity`). @default 2 */
  maxPerBucket?: number;
  /** Most contacts of one IP group in the whole table (an integer >= 1, or `Infinity`). @default 3 */
  maxPerTable?: number;
  /** Hosts for which both caps are lifted. @default {@link isLocalAddress} */
  exempt?: (host: string) => boolean;
  /** Called for each refused candidate, with the cap that refused it (to count rejections). */
  onReject?: (candidate: Readonly<Contact>, cap: 'bucket' | 'table') => void;
}

/**
 * The IP group of a host: `4/a.b.c` (the /24) for IPv4 and IPv4-mapped IPv6, `6/x:y:z` (the /48) for
 * IPv6; anything else (not a literal IP) is its own group.
 * @example
 * ```ts
 * ipGroup('203.0.113.7'); // '4/203.0.113'
 * ipGroup('2001:db8:1::5'); // '6/2001:db8:1'
 * ```
 */
export function ipGroup(host: string): string {
  const b = canonicalIpBytes(host);
  if (b === undefined) return `?/${host}`;
  if (b.length === 4) return `4/${b[0]}.${b[1]}.${b[2]}`;
  const word = (i: number): string => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16);
  return `6/${word(0)}:${word(1)}:${word(2)}`;
}

/**
 * True for loopback, unspecified, private and link-local addresses (127/8, 0/8, 10/8, 172.16/12,
 * 192.168/16, 169.254/16; ::1, ::, fc00::/7, fe80::/10), IPv4-mapped ones included: the default
 * exemption of {@link ipDiversityPolicy}: the framework's `isLocalHost` (the same ranges as the storage quotas and the per-IP rate limit).
 */
export function isLocalAddress(host: string): boolean {
  return isLocalHost(host);
}

/**
 * An {@link AdmitPolicy} capping the contacts per IP group: a candidate is refused when its bucket already
 * holds `maxPerBucket` contacts of its group, or the table `maxPerTable`. Exempt hosts are always admitted.
 * @param options caps, exemption and a rejection callback; see {@link IpDiversityOptions}.
 * @param tableContacts the table's live contacts (read at each decision, e.g. `() => table.contacts()`).
 * @param tableCount how many live contacts of an IP group the table holds, when the table counts them
 *   (a table built with `countBy: ipGroupOf`): read instead of scanning `tableContacts`.
 * @throws an {@link InvalidArgumentError} when a cap is not an integer >= 1 or `Infinity`.
 * @example
 * ```ts
 * let table: RoutingTable;
 * const admit = ipDiversityPolicy({ maxPerBucket: 2, maxPerTable: 3 }, () => table.contacts());
 * table = new RoutingTable(myId, clock, { admit });
 * ```
 */
export function ipDiversityPolicy(options: IpDiversityOptions, tableContacts: () => Iterable<Readonly<Contact>>, tableCount?: (group: string) => number): AdmitPolicy {
  const perBucket = checkCap('maxPerBucket', options.maxPerBucket ?? DEFAULT_MAX_PER_IP_GROUP_PER_BUCKET);
  const perTable = checkCap('maxPerTable', options.maxPerTable ?? DEFAULT_MAX_PER_IP_GROUP_PER_TABLE);
  const isExempt = options.exempt ?? isLocalAddress;
  // Hosts seen recently, with their group and exemption (parsing is most of the cost of a decision). With
  // the default exemption this is a pure function of the host, so every policy in the process shares one
  // memo (a simulation runs thousands of tables that meet the same hosts); a custom exemption gets its own.
  const info = hostMemo(isExempt);
  const groupOf = (c: Readonly<Contact>): string => info(c.address.host).group;
  /** True when `contacts` already hold `cap` contacts of `group`. */
  const reached = (contacts: Iterable<Readonly<Contact>>, group: string, cap: number): boolean => {
    let n = 0;
    for (const c of contacts) if (groupOf(c) === group && ++n >= cap) return true;
    return false;
  };
  return (candidate, bucketContacts, toReplacements = false) => {
    const { group, exempt } = info(candidate.address.host);
    if (exempt) return true;
    if (perBucket !== Infinity && reached(bucketContacts, group, perBucket)) {
      options.onReject?.(candidate, 'bucket');
      return false;
    }
    // The table-wide scan waits until a replacement is promoted (the policy runs again then).
    if (!toReplacements && perTable !== Infinity && (tableCount === undefined ? reached(tableContacts(), group, perTable) : tableCount(group) >= perTable)) {
      options.onReject?.(candidate, 'table');
      return false;
    }
    return true;
  };
}

/**
 * The IP group ({@link ipGroup}) of a contact's host, through a process-wide memo: what a routing table
 * counts its contacts by (`countBy`) for {@link ipDiversityPolicy}'s table-wide cap.
 */
export function ipGroupOf(contact: Readonly<Contact>): string {
  const host = contact.address.host;
  let group = SHARED_GROUPS.get(host);
  if (group === undefined) {
    if (SHARED_GROUPS.size >= SHARED_HOST_MEMO_SIZE) SHARED_GROUPS.clear();
    group = ipGroup(host);
    SHARED_GROUPS.set(host, group);
  }
  return group;
}

/**
 * The group and exemption of a host, remembered: through the process-wide memo for the default exemption
 * ({@link isLocalAddress}, a pure function of the host), else through a memo of this caller's own, made at
 * its first use and emptied when full.
 * @param isExempt the exemption.
 * @returns the lookup.
 */
export function hostMemo(isExempt: (host: string) => boolean): (host: string) => HostInfo {
  if (isExempt === isLocalAddress) return sharedHostInfo;
  let hosts: Map<string, HostInfo> | undefined;
  return (host) => remembered((hosts ??= new Map()), HOST_MEMO_SIZE, host, isExempt);
}

function sharedHostInfo(host: string): HostInfo {
  return remembered(SHARED_HOSTS, SHARED_HOST_MEMO_SIZE, host, isLocalAddress);
}

function remembered(hosts: Map<string, HostInfo>, memoSize: number, host: string, isExempt: (host: string) => boolean): HostInfo {
  let known = hosts.get(host);
  if (known === undefined) {
    if (hosts.size >= memoSize) hosts.clear();
    known = { group: ipGroup(host), exempt: isExempt(host) };
    hosts.set(host, known);
  }
  return known;
}

/** The group and exemption of a host. */
export interface HostInfo {
  readonly group: string;
  readonly exempt: boolean;
}

/** Most hosts whose group and exemption a caller with a custom exemption remembers (emptied when full). */
const HOST_MEMO_SIZE = 4_096;

/** Most hosts in the process-wide memo of the policies with the default exemption (emptied when full). */
const SHARED_HOST_MEMO_SIZE = 16_384;

/** The process-wide memo of the policies with the default exemption ({@link isLocalAddress}). */
const SHARED_HOSTS = new Map<string, HostInfo>();

/** The process-wide memo of {@link ipGroupOf}. */
const SHARED_GROUPS = new Map<string, string>();

function checkCap(name: string, value: number): number {
  if (value === Infinity || (Number.isInteger(value) && value >= 1)) return value;
  throw new InvalidArgumentError(`${name} must be an integer >= 1 or Infinity, got ${value}`);
}
