// One instance spec for the metadata tests, with what each test changes.
import type { InstanceMetadata, InstanceSpec } from '../../../../appliance/contracts/index.ts';

export const INSTANCE_ID = '0f6c2a8e-5d1b-4c3a-9e7f-2b8d4a6c1e90';
export const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFzY3bq0lq5o2b7mPzWq4cQ1mX0p2yWcTzQe0hVb8s1k alice@laptop';
export const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob "quoted" #not-a-comment';

export function instance(metadata: Partial<InstanceMetadata> = {}): InstanceSpec {
  return {
    id: INSTANCE_ID,
    name: 'web-1',
    power: 'running',
    rebootGeneration: 0,
    vcpus: 1,
    memoryMiB: 512,
    diskGiB: 4,
    image: { id: 'a1b2c3d4-0000-4000-8000-000000000001', format: 'qcow2', sha256: '0'.repeat(64), sizeBytes: 1 },
    metadata: { hostname: 'web-1', sshKeys: [ED25519], userData: null, projectId: 'p-42', ...metadata },
  };
}
