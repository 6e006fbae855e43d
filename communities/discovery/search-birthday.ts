/**
 * The birthday probing of one connect search (see `birthday.ts`): started once per public address of the
 * peer a storer returned, it remembers which role the node took and which addresses a hit opened, so the
 * search can name the path a packet of the peer proves.
 * @module
 */
import type { Address, PublicKey } from '../../framework/index.js';
import { addressKey } from '../../framework/index.js';
import type { Hellos } from './hellos.js';
import type { SearchHost } from './search-host.js';

/** The probing of one search. */
export class SearchBirthday {
  /** The role this search's probing took: probe sockets, a spray, or none yet. */
  role: 'sockets' | 'spray' | 'none' = 'none';
  /** Addresses a hit opened, whatever candidate kind they also are. */
  private readonly hits = new Set<string>();
  /** The peer's public addresses probing was considered for. */
  private readonly considered = new Set<string>();

  /**
   * @param birthday the node's birthday probing.
   * @param midHex the peer's mid.
   * @param hellos the search's hellos (a hit hellos the address it opened).
   * @param cancelled true once the search ended.
   * @param trace the search's trace.
   */
  constructor(
    private readonly birthday: SearchHost['birthday'],
    private readonly midHex: string,
    private readonly hellos: Pick<Hellos, 'add' | 'again'>,
    private readonly cancelled: () => boolean,
    private readonly trace: (step: string, fields?: Record<string, unknown>) => void,
  ) {}

  /**
   * Probes toward the peer's public address when one of us is behind a symmetric NAT and the other behind
   * a cone one, once enough storers named it (`MIN_VOUCHERS`): a hit hellos the address it opened (again,
   * for the peer's WAN address our probe socket is now pinned to).
   * @param storer the storer whose record gave the address.
   */
  toward(wan: Address, nat: number, key: PublicKey | undefined, storer: Address): void {
    // Once per address and storer: every storer returns the same record, and each one's word counts once.
    const wanKey = `${addressKey(wan)}|${addressKey(storer)}`;
    if (this.considered.has(wanKey)) return;
    this.considered.add(wanKey);
    const role = this.birthday.attempt(wan, nat, this.midHex, storer, (address) => {
      if (this.cancelled()) return;
      this.hits.add(addressKey(address));
      this.trace('birthday-hit', { address: addressKey(address) });
      if (!this.hellos.add(address, 'birthday', key)) this.hellos.again(address, key);
    });
    if (role === undefined) return;
    if (this.role === 'none') this.trace('birthday', { role, to: addressKey(wan) });
    this.role = role;
  }

  /**
   * True when probing opened the path a packet from `from` came by: a hit there, a probe socket of ours
   * pinned to it, its spray reaching our main socket from there, or (`listed` false: no storer or lookup
   * gave the address) a port of the host we sprayed.
   */
  opened(from: Address, listed: boolean): boolean {
    if (this.hits.has(addressKey(from)) || this.birthday.opened(from)) return true;
    return !listed && this.role === 'spray' && this.birthday.sprayedHost(from);
  }
}
