// Medians and percentiles for benchmark samples (milliseconds).

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summary(samples: number[]): { median: number; p90: number; n: number } {
  return { median: percentile(samples, 50), p90: percentile(samples, 90), n: samples.length };
}
