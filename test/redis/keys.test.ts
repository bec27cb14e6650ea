// Cluster hygiene: every key and the channel of a breaker hash to one slot, whatever its name.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeName, fleetKeys } from '../../src/redis/index.js';

/** CRC16/XMODEM, the checksum Redis Cluster uses for key slots. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The Cluster slot of `key`, with Redis's hash-tag rule (first `{`, then the first `}` after it). */
function keySlot(key: string): number {
  let hashed = key;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  return crc16(new TextEncoder().encode(hashed)) % 16384;
}

describe('fleetKeys', () => {
  it('keySlot — the checksum matches the Redis Cluster reference values', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  });

  it('fleetKeys — every key and the channel of any name share one slot', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1 }),
          fc.string({ unit: 'grapheme', minLength: 1 }),
          fc.constantFrom('{', '}', '}{', 'a{b}c', '{}', 'ü{✓}'),
        ),
        fc.constantFrom('bw', 'app:prod', 'x'),
        (name, prefix) => {
          const k = fleetKeys(prefix, name);
          const slots = new Set([k.state, k.window, k.reporters, k.leases, k.channel].map(keySlot));
          expect(slots.size).toBe(1);
          // The tag is exactly the escaped name: nothing in the name moves it.
          expect(k.state).toBe(`${prefix}:v1:{${escapeName(name)}}:s`);
          expect(escapeName(name)).not.toMatch(/[{}]/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('escapeName — distinct names stay distinct', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        if (a !== b) expect(escapeName(a)).not.toBe(escapeName(b));
      }),
    );
  });
});
