import type { CircuitBreaker } from '../breaker/circuit-breaker.js';

/** Why a breaker left a {@link BreakerRegistry}. */
export type EvictionReason = 'idle' | 'capacity' | 'delete' | 'clear';

/** Events of a {@link BreakerRegistry}. */
export interface RegistryEvents {
  /** A breaker was created for `key` and registered. */
  added: {
    /** The breaker's key in the registry. */
    readonly key: string;
    /** The breaker made for the key. */
    readonly breaker: CircuitBreaker;
  };
  /**
   * A breaker left the registry: unused for `idleTtl` (`idle`), the least recently used one
   * made room for a new key (`capacity`), or `delete(key)` / `clear()` removed it. Exporters
   * drop its series here.
   */
  evicted: {
    /** The breaker's key in the registry. */
    readonly key: string;
    /** The breaker that left. */
    readonly breaker: CircuitBreaker;
    /** Why it left. */
    readonly reason: EvictionReason;
  };
  /**
   * The registry was full of breakers it may not evict (open, half-open, manually held, or with
   * calls in flight), so `get(key)` returned a working breaker that is **not** registered: the
   * next `get(key)` creates another one. Frequent overflows mean `maxBreakers` is too small.
   * Such a breaker is local-only: it is never attached to a fleet (`localOnly` is true when the
   * registry's breakers would otherwise have joined one).
   */
  overflow: {
    /** The key asked for. */
    readonly key: string;
    /** The unregistered breaker handed out for this call. */
    readonly breaker: CircuitBreaker;
    /** True when the breaker would have joined a fleet but runs local-only. */
    readonly localOnly: boolean;
  };
}
