import { describe, expect, it } from 'vitest';
import { DEFAULT_IP_RATE_LIMIT, IpRateLimiter, ManualClock } from '../../../framework/index.js';
import { canonicalIpBytes, ipBlock, isLocalHost, isLocalIp } from '../../../framework/wire/ip.js';

describe('IP blocks and local addresses', () => {
  it('keys an IPv4 address by itself and an IPv6 address by its /64', () => {
    expect(ipBlock('203.0.113.7')).toBe('4/203.0.113.7');
    expect(ipBlock('::ffff:203.0.113.7')).toBe('4/203.0.113.7');
    expect(ipBlock('2001:db8:1:2:aaaa::5')).toBe('6/2001:db8:1:2');
    expect(ipBlock('2001:db8:1:2::6')).toBe(ipBlock('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(ipBlock('2001:db8:1:3::5')).not.toBe(ipBlock('2001:db8:1:2::5'));
    expect(ipBlock('not-an-ip')).toBe('?/not-an-ip');
    expect(canonicalIpBytes('fe80::1%eth0')?.length).toBe(16);
  });

  it('classifies loopback, private and link-local addresses as local', () => {
    for (const h of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.1', '192.168.1.20', '169.254.0.9', '0.0.0.0', '::1', '::', 'fd00::5', 'fe80::1', '::ffff:10.0.0.1']) {
      expect([h, isLocalHost(h)]).toEqual([h, true]);
    }
    for (const h of ['203.0.113.7', '198.18.0.1', '172.32.0.1', '8.8.8.8', '2001:db8::1', '::ffff:8.8.8.8', 'localhost']) {
      expect([h, isLocalHost(h)]).toEqual([h, false]);
    }
    expect(isLocalIp(new Uint8Array([192, 168, 0, 1]))).toBe(true);
  });
});

describe('IpRateLimiter', () => {
  it('shares one bucket across the ports of an IP and bans the IP', () => {
    const clock = new ManualClock(0);
    const ip = new IpRateLimiter(clock, { ratePerSecond: 10, burst: 20, banAfterDrops: 5, banMs: 1_000 });
    const verdicts = Array.from({ length: 30 }, () => ip.check('203.0.113.66'));
    expect(verdicts.filter((v) => v === 'allowed')).toHaveLength(20);
    expect(verdicts.slice(20, 25)).toEqual(['limited', 'limited', 'limited', 'limited', 'limited']);
    expect(verdicts.slice(25)).toEqual(['banned', 'banned', 'banned', 'banned', 'banned']);
    expect(ip.isBanned('203.0.113.66')).toBe(true);
    expect(ip.isBanned('203.0.113.67')).toBe(false);
    expect(ip.check('203.0.113.67')).toBe('allowed');
    expect(ip.limiter.stats).toMatchObject({ allowed: 21, limited: 5, banned: 5, bans: 1 });
    expect(ip.size).toBe(2);
  });

  it('exempts loopback and private hosts by default, and only the hosts it is told to when configured', () => {
    const clock = new ManualClock(0);
    const ip = new IpRateLimiter(clock, { burst: 1, banAfterDrops: 1_000 });
    expect([ip.check('127.0.0.1'), ip.check('127.0.0.1'), ip.check('192.168.1.2'), ip.check('::1')]).toEqual(['exempt', 'exempt', 'exempt', 'exempt']);
    expect(ip.exempted).toBe(4);
    expect(ip.size).toBe(0);
    const strict = new IpRateLimiter(clock, { burst: 1, banAfterDrops: 1_000, exempt: () => false });
    expect([strict.check('127.0.0.1'), strict.check('127.0.0.1')]).toEqual(['allowed', 'limited']);
  });

  it('defaults to a few ports worth of the per-source limit, with short bans', () => {
    expect(DEFAULT_IP_RATE_LIMIT).toEqual({ ratePerSecond: 200, burst: 800, banAfterDrops: 1_600, banMs: 60_000, maxSources: 50_000, idleMs: 4_000 });
  });

  it('stays bounded under 100,000 distinct IPs', () => {
    const ip = new IpRateLimiter(new ManualClock(0), { maxSources: 10_000 });
    for (let i = 0; i < 100_000; i++) ip.check(`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    expect(ip.size).toBe(10_000);
    expect(ip.limiter.stats.evicted).toBe(90_000);
  });
});
