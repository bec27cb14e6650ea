// Names the documentation's code blocks use without defining them: the reader's own services,
// values and objects made in an earlier block. Each has the least type the blocks need. The
// breakwater names a block uses must be imported by the block itself, so none is declared here
// except objects a block continues from an earlier one (`breaker`, `tenants`, `telemetry`, …).

type Signal = { signal?: AbortSignal };
interface Receipt {
  id: string;
}
interface User {
  id: string;
  name: string;
}
interface Order {
  id: string;
  amount: number;
}
interface Mail {
  to: string;
  subject: string;
}
declare class ValidationError extends Error {}

// The reader's dependencies.
/** The README names both the payments client and, in fleet mode, its breaker `payments`. */
declare const payments: import('breakwater').CircuitBreaker & {
  charge(orderId: string, amount: number, options?: Signal): Promise<Receipt>;
};
declare function callPaymentService(orderId: string, amount: number): Promise<Receipt>;
declare function charge(order: Order, options?: Signal): Promise<Receipt>;
declare function fetchUser(id: string, options?: Signal): Promise<User>;
declare function findUser(id: string): Promise<User | null>;
declare function fetchPrice(sku: string, options?: Signal): Promise<number>;
declare function render(page: string, options?: Signal): Promise<string>;
declare function callTenant(tenantId: string, options?: Signal): Promise<unknown>;
declare function callB(context: { signal: AbortSignal }): Promise<unknown>;
declare function submit(order: Order): Promise<void>;
declare function alert(item: unknown, error: unknown): void;
declare function reply(status: number, body: unknown): void;
declare const log: ((...values: unknown[]) => void) & { warn(entry: unknown): void };
declare const db: { query(sql: string, options?: Signal): Promise<unknown[]> };
declare const smtp: { send(mail: Mail, options?: Signal & { idempotencyKey?: string }): Promise<void> };
declare const prices: { get(sku: string): Promise<number> };
declare const redis: import('ioredis').Redis;
declare const app: {
  use(
    path: string,
    handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
  ): void;
};
declare const http: typeof import('node:http');

// Values of the request at hand.
declare const orderId: string;
declare const amount: number;
declare const order: Order;
declare const mail: Mail;
declare const id: string;
declare const key: string;
declare const tenantId: string;
declare const url: string;
declare const sql: string;
declare const page: string;
declare const database: string;
declare const bestsellers: string[];
declare const staleMaxAgeMs: number;
declare const signal: AbortSignal;
declare const request: { signal: AbortSignal };

// Objects an earlier block made.
declare const breaker: import('breakwater').CircuitBreaker;
declare const tenants: import('breakwater').BreakerRegistry;
declare const telemetry: import('breakwater').Telemetry;
declare const resilient: import('breakwater').Policy;
declare const hopBreaker: import('breakwater').CircuitBreakerOptions;
declare const dashboard: import('breakwater/dashboard').Dashboard;
/** A fastify instance, as much of it as mounting the dashboard needs. */
declare const fastify: {
  all(
    path: string,
    handler: (
      request: { raw: import('node:http').IncomingMessage },
      reply: { raw: import('node:http').ServerResponse; hijack(): void },
    ) => void,
  ): void;
};
