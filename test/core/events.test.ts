// Emitter: typed, disposable, and safe against listeners that change the list while it is emitting.
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/events.js';

interface Events {
  tick: number;
}

describe('Emitter', () => {
  it('emit — a listener added or removed during an emit takes effect from the next emit', () => {
    const emitter = new Emitter<Events>('src');
    const seen: string[] = [];
    const second = { handle: undefined as { dispose(): void } | undefined };
    emitter.on('tick', (n) => {
      seen.push(`first ${String(n)}`);
      second.handle?.dispose();
      emitter.on('tick', (m) => seen.push(`added ${String(m)}`));
    });
    second.handle = emitter.on('tick', (n) => seen.push(`second ${String(n)}`));
    emitter.emit('tick', 1);
    expect(seen).toEqual(['first 1', 'second 1']);
    seen.length = 0;
    emitter.emit('tick', 2);
    expect(seen).toEqual(['first 2', 'added 2']);
  });

  it('has — reports whether anyone listens, and is false again after the last dispose', () => {
    const emitter = new Emitter<Events>('src');
    expect(emitter.has('tick')).toBe(false);
    const a = emitter.on('tick', () => undefined);
    const b = emitter.on('tick', () => undefined);
    a.dispose();
    expect(emitter.has('tick')).toBe(true);
    b[Symbol.dispose]();
    expect(emitter.has('tick')).toBe(false);
  });

  it('emit — with no listener does nothing', () => {
    expect(() => {
      new Emitter<Events>('src').emit('tick', 1);
    }).not.toThrow();
  });
});
