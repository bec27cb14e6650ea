// Fails the run if any unhandled rejection or uncaught exception happens during a test file.
import { afterAll } from 'vitest';

const problems: unknown[] = [];
const onRejection = (reason: unknown): void => {
  problems.push(reason);
};
process.on('unhandledRejection', onRejection);
process.on('uncaughtException', onRejection);

afterAll(async () => {
  // Give late rejections a turn to surface.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onRejection);
  if (problems.length > 0) {
    throw new Error(
      `unhandled rejection or uncaught exception during the tests: ${problems.map(String).join('; ')}`,
    );
  }
});
