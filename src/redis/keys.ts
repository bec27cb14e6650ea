/**
 * Key names of one fleet breaker. Every key and the channel share one Cluster hash tag (the
 * escaped breaker name inside `{}`), sit under a versioned prefix, and carry a fixed suffix:
 * `<prefix>:v1:{<name>}:s` (state), `:w` (window), `:i` (reporters), `:p` (leases), `:c`
 * (configurations seen), `:ev` (channel).
 */

/** The schema version in every key; a change of layout bumps it. */
export const SCHEMA_VERSION = 'v1';

/** The keys and channel of one breaker. */
export interface FleetKeys {
  /** The state hash: state, generation, open period and owning configuration (`:s`). */
  readonly state: string;
  /** The window hash: calls, failures and slow calls per time bucket (`:w`). */
  readonly window: string;
  /** The reporters hash: instances that reported failures or slow calls, by bucket (`:i`). */
  readonly reporters: string;
  /** The probe leases of half-open, a zset scored by expiry (`:p`). */
  readonly leases: string;
  /** The configurations of the instances seen recently (a zset of expiries). */
  readonly configs: string;
  /** The pub/sub channel of transition hints (`:ev`). */
  readonly channel: string;
  /** The hash tag, braces included. */
  readonly tag: string;
}

/**
 * Escapes a breaker name for use inside a hash tag: `{`, `}` and `%` are percent-encoded, so a
 * brace in a name can neither end the tag early nor start another one.
 */
export function escapeName(name: string): string {
  return name.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The keys of breaker `name` under `prefix` (which must not contain `{` or `}`). */
export function fleetKeys(prefix: string, name: string): FleetKeys {
  const tag = `{${escapeName(name)}}`;
  const base = `${prefix}:${SCHEMA_VERSION}:${tag}`;
  return {
    state: `${base}:s`,
    window: `${base}:w`,
    reporters: `${base}:i`,
    leases: `${base}:p`,
    configs: `${base}:c`,
    channel: `${base}:ev`,
    tag,
  };
}
