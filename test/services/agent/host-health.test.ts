import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostHealthSchema } from '../../../appliance/contracts/index.ts';
import { hostHealth } from '../../../services/agent/host-health.ts';
import { toInventory, type RawInventory } from '../../../services/agent/to-inventory.ts';

const inventory = (name: string) => toInventory(JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', `${name}.json`), 'utf8')) as RawInventory);
const sample = { load1: 0.4567, totalMemoryBytes: 1000, freeMemoryBytes: 250, uptimeSeconds: 3600.9 };

test('hostHealth() of a server that can run VMs is ok, with rounded numbers', () => {
  const health = hostHealth(sample, inventory('raw-inventory-server'));
  assert.equal(health, { status: 'ok', problems: [], load1: 0.46, memoryUsedBytes: 750, uptimeSeconds: 3600 });
  assert.ok(Value.Check(HostHealthSchema, health));
});

test('hostHealth() says degraded, and why, for a VM without vmx/svm', () => {
  const health = hostHealth(sample, inventory('raw-inventory-firecracker-vm'));
  assert.is(health.status, 'degraded');
  assert.equal(health.problems.length, 1);
  assert.match(health.problems[0]!, /no hardware virtualization \(vmx\/svm\).*enable VT-x\/AMD-V/);
});

test('hostHealth() without an inventory yet only reports numbers', () => {
  assert.is(hostHealth(sample, undefined).status, 'ok');
});

const odd: Record<string, Parameters<typeof hostHealth>[0]> = {
  'NaN everywhere': { load1: Number.NaN, totalMemoryBytes: Number.NaN, freeMemoryBytes: Number.NaN, uptimeSeconds: Number.NaN },
  'negative numbers': { load1: -1, totalMemoryBytes: -5, freeMemoryBytes: -9, uptimeSeconds: -3 },
  'more free than total': { load1: 1, totalMemoryBytes: 10, freeMemoryBytes: 20, uptimeSeconds: 1 },
  'infinite': { load1: Infinity, totalMemoryBytes: Infinity, freeMemoryBytes: 0, uptimeSeconds: Infinity },
};
for (const [name, s] of Object.entries(odd)) {
  test(`hostHealth() keeps ${name} within the schema`, () => {
    const health = hostHealth(s, undefined);
    assert.ok(Value.Check(HostHealthSchema, health), JSON.stringify(health));
  });
}

test.run();
