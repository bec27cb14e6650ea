/**
 * Test helpers: drive breakwater's time by hand, make randomness repeatable, record events.
 *
 * @packageDocumentation
 */
export { FakeClock, settle } from './fake-clock.js';
export { EventRecorder, type RecordedEvent } from './event-recorder.js';
export { seededRandom, type Random } from '../core/random.js';
