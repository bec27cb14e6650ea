/**
 * Text for a thrown value in a warning or a stored record. It never throws: a value that cannot
 * be printed (a null-prototype object, a revoked Proxy, a getter that throws) gets a placeholder,
 * because the report of a user's error must not become a second error of its own.
 */
export function describeError(error: unknown, form: 'stack' | 'message' | 'named' = 'named'): string {
  try {
    if (error instanceof Error) {
      if (form === 'stack') return error.stack ?? error.message;
      return form === 'message' ? error.message : `${error.name}: ${error.message}`;
    }
    return String(error);
  } catch {
    return `(an unprintable ${typeof error})`;
  }
}
