import type { QuotaLimits } from './compute-repository.ts';

/** Limits for a project no cloud admin has set a quota for. */
export const DEFAULT_QUOTA: QuotaLimits = { instances: 10, vcpus: 20, memoryMiB: 51_200 };

export interface QuotaExcess {
  readonly quota: 'instances' | 'vcpus' | 'memoryMiB';
  readonly used: number;
  readonly asked: number;
  readonly limit: number;
}

/**
 * The first quota that `asked` on top of `used` would exceed, or undefined if
 * all fit; reaching a limit exactly is allowed. Pure.
 */
export function quotaExcess(used: QuotaLimits, asked: QuotaLimits, limits: QuotaLimits): QuotaExcess | undefined {
  for (const quota of ['instances', 'vcpus', 'memoryMiB'] as const) {
    if (used[quota] + asked[quota] > limits[quota]) return { quota, used: used[quota], asked: asked[quota], limit: limits[quota] };
  }
  return undefined;
}
