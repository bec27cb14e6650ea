/**
 * Fault injection for chaos engineering: inject failures, latency, hangs and made-up results
 * into calls, then verify that your circuit opens, your fallbacks answer and your service
 * stays responsive. Each fault is an ordinary policy (`execute`, `wrap`) with an injection
 * `rate`, an `enabled` switch you can flip at run time, and an injectable `random` so a run can
 * be replayed with `seededRandom(seed)`.
 *
 * @packageDocumentation
 */
export { ChaosPolicy, type ChaosOptions, type ChaosStats } from './chaos-policy.js';
export { fault, FaultPolicy, type FaultOptions } from './fault.js';
export { latency, LatencyPolicy, type LatencyOptions } from './latency.js';
export { hang, HangPolicy, type HangOptions } from './hang.js';
export { outcome, OutcomePolicy, type OutcomeOptions } from './outcome.js';
export { seededRandom, type Random } from '../core/random.js';
