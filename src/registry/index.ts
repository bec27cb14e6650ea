/**
 * Keyed circuit breakers with bounded memory.
 *
 * @packageDocumentation
 */
export { BreakerRegistry } from './registry.js';
export type { BreakerRegistryOptions } from './options.js';
export type { EvictionReason, RegistryEvents } from './events.js';
