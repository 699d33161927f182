// Latency recording for the scenarios: a preallocated buffer (bounded, no allocation per sample) and the
// percentiles the reports use. Samples beyond the capacity are counted but not kept.
export class LatencyRecorder {
  private readonly samplesUs: Float64Array;
  private kept = 0;
  count = 0;
  maxUs = 0;

  constructor(capacity: number) {
    this.samplesUs = new Float64Array(capacity);
  }

  record(us: number): void {
    this.count++;
    if (us > this.maxUs) this.maxUs = us;
    if (this.kept < this.samplesUs.length) this.samplesUs[this.kept++] = us;
  }

  /** Percentile (0–100) of the kept samples, in microseconds; 0 when empty. */
  percentileUs(percent: number): number {
    if (this.kept === 0) return 0;
    const sorted = this.samplesUs.slice(0, this.kept).sort();
    return sorted[Math.min(this.kept - 1, Math.floor((percent / 100) * this.kept))]!;
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function elapsedUs(startMs: number): number {
  return (performance.now() - startMs) * 1000;
}
