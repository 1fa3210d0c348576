export { createMetrics } from './create-metrics.ts';
export type { MetricSources } from './create-metrics.ts';
