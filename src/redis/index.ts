/**
 * breakwater/redis: one breaker shared by many processes through Redis (fleet mode), and a
 * Redis Streams storage for `queueForLater`. Works with your ioredis or node-redis client; both
 * are optional peer dependencies.
 *
 * @packageDocumentation
 */
export { redisFleet, type RedisFleet, type RedisFleetOptions } from './redis-fleet.js';
export type { FleetSummaryOptions, PublishedInstance } from './summary-publisher.js';
export type { InstanceSummary, SummaryRow } from '../telemetry/fleet-summary.js';
export { toAdapter, type RedisAdapter, type RedisSubscriber } from './adapter.js';
export { fleetKeys, escapeName, SCHEMA_VERSION, type FleetKeys } from './keys.js';
export type { FleetEvent, FleetHandle, FleetState } from '../breaker/fleet.js';
export { redisStreamQueueStorage, type RedisStreamQueueStorageOptions } from './stream-queue-storage.js';
