// Compute for the controller: flavors, images, key pairs, server groups, instances and quotas.
export { computeFeature, DEFAULT_PLACEMENT_POLICY, MAX_IMAGE_BYTES } from './compute-feature.ts';
export type { ComputeContext, ComputeFeature, ComputeFeatureOptions } from './compute-feature.ts';
export { computeErrors } from './errors.ts';
export { DEFAULT_QUOTA } from './quota-check.ts';
