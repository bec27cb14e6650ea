import { BreakwaterError } from '../core/errors.js';

const CODE = 'ERR_HTTP_STATUS';

/**
 * A response whose status counts as a failure (5xx and 429 by default). Inside a protected fetch
 * the response travels as this error, so the breaker counts it and a retry policy sees it; at the
 * edge the fetch returns `response` itself, unchanged, body unread. A `fallback` or a retry
 * policy's `retryOn` may receive it.
 */
export class HttpStatusError extends BreakwaterError {
  /** The response, unchanged; its body has not been read. */
  readonly response: Response;
  /** `response.status`. */
  readonly status: number;

  constructor(policy: string, response: Response) {
    super(
      CODE,
      policy,
      `"${policy}" answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    );
    this.response = response;
    this.status = response.status;
  }
}

/** True when `value` is an {@link HttpStatusError}, from this copy of the package or another. */
export function isHttpStatusError(value: unknown): value is HttpStatusError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[Symbol.for('breakwater.error')] === CODE
  );
}
