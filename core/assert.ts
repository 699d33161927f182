// Assertions are for bugs, never for bad input (that gets a NedbError). A failed assertion means the engine's
// own state is wrong; the process should stop rather than answer from it (recovery replays the log).

export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, message = 'unexpected kind'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
