/**
 * Brands: how breakwater recognises its own objects without `instanceof`. An application can
 * hold two copies of the package in one process — the ES module and the CommonJS build, or two
 * installed versions — and an object made by one copy must be accepted by the other. Each
 * branded class carries a non-enumerable `Symbol.for('breakwater.<Kind>')` property on its
 * prototype; `Symbol.for` keys are shared by every copy, so the check is the same everywhere.
 */

/** The kinds of object breakwater checks by brand. */
export type BrandKind = 'Telemetry' | 'CircuitBreaker' | 'RetryBudget';

const keys = {
  Telemetry: Symbol.for('breakwater.Telemetry'),
  CircuitBreaker: Symbol.for('breakwater.CircuitBreaker'),
  RetryBudget: Symbol.for('breakwater.RetryBudget'),
} as const satisfies Record<BrandKind, symbol>;

/** Marks every instance of `type` as a `kind` (once, on the prototype: free per instance). */
export function brand(type: abstract new (...args: never[]) => object, kind: BrandKind): void {
  Object.defineProperty(type.prototype, keys[kind], { value: true });
}

/** True when `value` was made by a class branded `kind`, in this copy of the package or another. */
export function hasBrand(value: unknown, kind: BrandKind): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return (value as Record<symbol, unknown>)[keys[kind]] === true;
  } catch {
    return false; // a revoked Proxy, or one whose reads throw
  }
}
