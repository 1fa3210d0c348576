import type { InstanceSpec } from '../../../../appliance/contracts/index.ts';

/** A valid instance spec with a predictable id built from `n`. */
export function specOf(n: number, over: Partial<InstanceSpec> = {}): InstanceSpec {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    id,
    name: `vm-${n}`,
    power: 'running',
    rebootGeneration: 0,
    vcpus: 1,
    memoryMiB: 256,
    diskGiB: 1,
    image: { id: '11111111-1111-4111-8111-111111111111', format: 'raw', sha256: 'a'.repeat(64), sizeBytes: 1 },
    metadata: { hostname: `vm-${n}`, sshKeys: [], userData: null, projectId: 'p' },
    ...over,
  };
}
