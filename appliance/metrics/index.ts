export { createMetrics } from './create-metrics.ts';
export type { ApplianceMetrics, MetricSources } from './create-metrics.ts';
