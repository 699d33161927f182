// Time enters the engine only through a Clock, so tests can drive it and the tidy test can forbid Date.now().

export interface Clock {
  /** Wall-clock milliseconds since the epoch (op timestamps, lock files). */
  nowMs(): number;
  /** Monotonic milliseconds for durations and intervals. */
  monotonicMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};
