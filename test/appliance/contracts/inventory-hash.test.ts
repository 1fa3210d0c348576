import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, inventoryHash } from '../../../appliance/contracts/index.ts';
import { toInventory, type RawInventory } from '../../../services/agent/to-inventory.ts';

const inventory = toInventory(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'services', 'agent', 'testdata', 'raw-inventory-server.json'), 'utf8')) as RawInventory);

test('canonicalJson() sorts keys at every level and keeps array order', () => {
  assert.is(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
});

test('inventoryHash() is the same for the same inventory, whatever the key order', () => {
  const reordered = JSON.parse(JSON.stringify({ os: inventory.os, pci: inventory.pci, nics: inventory.nics, disks: inventory.disks, memory: inventory.memory, cpu: inventory.cpu, system: inventory.system })) as typeof inventory;
  assert.is(inventoryHash(reordered), inventoryHash(inventory));
  assert.match(inventoryHash(inventory), /^[0-9a-f]{64}$/);
});

test('inventoryHash() changes when anything changes (an address, a disk, the memory)', () => {
  const base = inventoryHash(inventory);
  const changes = [
    { ...inventory, memory: { totalBytes: inventory.memory.totalBytes - 1 } },
    { ...inventory, disks: inventory.disks.slice(1) },
    { ...inventory, nics: inventory.nics.map((n, i) => (i === 0 ? { ...n, addresses: [...n.addresses, '10.20.0.32'] } : n)) },
  ];
  for (const changed of changes) assert.is.not(inventoryHash(changed), base);
});

test.run();
