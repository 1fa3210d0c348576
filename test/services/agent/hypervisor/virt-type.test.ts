import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectVirtType } from '../../../../services/agent/hypervisor/virt-type.ts';

const dir = mkdtempSync(join(tmpdir(), 'alliance-kvm-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('detectVirtType() picks kvm when the device can be opened for reading and writing', () => {
  const device = join(dir, 'kvm');
  writeFileSync(device, '');
  assert.is(detectVirtType({ device }), 'kvm');
});

test('detectVirtType() falls back to qemu (TCG) when there is no KVM device', () => {
  assert.is(detectVirtType({ device: join(dir, 'none') }), 'qemu');
});

test.run();
