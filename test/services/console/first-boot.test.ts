import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../appliance/errors/index.ts';
import { applyInstallAnswers } from '../../../services/console/first-boot.ts';
import { tempDir } from '../../_support/appliance-process.ts';

const MACS = new Map([
  ['52:54:00:12:34:56', 'enp0s2'],
  ['52:54:00:12:34:57', 'enp0s3'],
]);

function setup(answers: unknown): { dataDir: string; etcDir: string; run: () => Promise<readonly string[]> } {
  const dir = tempDir('first-boot');
  const dataDir = join(dir, 'data');
  const etcDir = join(dir, 'etc');
  mkdirSync(join(dataDir, 'install'), { recursive: true });
  mkdirSync(etcDir);
  if (answers !== undefined) writeFileSync(join(dataDir, 'install', 'answers.json'), typeof answers === 'string' ? answers : JSON.stringify(answers));
  return { dataDir, etcDir, run: () => applyInstallAnswers({ dataDir, etcDir, interfacesByMac: () => MACS }) };
}

const networkd = (etcDir: string): string => readFileSync(join(etcDir, 'systemd', 'network', '10-alliance-management.network'), 'utf8');

test('applyInstallAnswers() does nothing without an answers file', async () => {
  const { run, etcDir } = setup(undefined);
  assert.match((await run()).join('\n'), /nothing to apply/);
  assert.not.ok(existsSync(join(etcDir, 'hostname')));
});

test('applyInstallAnswers() writes a static management network for the NIC with the MAC, the host name and NTP, once', async () => {
  const { run, dataDir, etcDir } = setup({
    version: 1,
    hostname: 'gw-01',
    network: { mac: '52:54:00:12:34:57', mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53'] },
    ntp: ['ntp.example.net'],
  });
  const lines = await run();
  assert.match(lines.join('\n'), 'management network: enp0s3 (52:54:00:12:34:57) 192.0.2.10/24 via 192.0.2.1');
  const file = networkd(etcDir);
  assert.match(file, /Name=enp0s3/);
  assert.match(file, /Address=192\.0\.2\.10\/24/);
  assert.match(file, /Gateway=192\.0\.2\.1/);
  assert.match(readFileSync(join(etcDir, 'resolv.conf'), 'utf8'), /nameserver 192\.0\.2\.53/);
  assert.is(readFileSync(join(etcDir, 'hostname'), 'utf8'), 'gw-01\n');
  assert.match(readFileSync(join(etcDir, 'systemd', 'timesyncd.conf.d', 'alliance.conf'), 'utf8'), /NTP=ntp\.example\.net/);
  assert.not.ok(existsSync(join(dataDir, 'install', 'answers.json')), 'applied once');
  assert.ok(existsSync(join(dataDir, 'install', 'answers.applied.json')));
  assert.match((await run()).join('\n'), /nothing to apply/);
});

test('applyInstallAnswers() writes DHCP for the NIC and leaves the host name alone when none was given', async () => {
  const { run, etcDir } = setup({ version: 1, hostname: null, network: { mac: '52:54:00:12:34:56', mode: 'dhcp' }, ntp: [] });
  await run();
  assert.match(networkd(etcDir), /Name=enp0s2[\s\S]*DHCP=/);
  assert.not.ok(existsSync(join(etcDir, 'hostname')));
});

const refusals: Record<string, [unknown, RegExp]> = {
  'not JSON': ['{"version": 1,', /Cannot apply the installer's answers in .*answers\.json: .*JSON/],
  'another version': [{ version: 2, hostname: null, network: null, ntp: [] }, /\/version/],
  'an unknown key': [{ version: 1, hostname: null, network: null, ntp: [], disk: '/dev/sda' }, /answers\.json/],
  'a MAC no interface has': [{ version: 1, hostname: 'gw', network: { mac: '52:54:00:aa:bb:cc', mode: 'dhcp' }, ntp: [] }, /no interface has the MAC 52:54:00:aa:bb:cc \(this machine has 52:54:00:12:34:56, 52:54:00:12:34:57\)/],
  'a gateway outside the subnet': [{ version: 1, hostname: 'gw', network: { mac: '52:54:00:12:34:56', mode: 'static', address: '192.0.2.10/24', gateway: '10.0.0.1', dns: [] }, ntp: [] }, /network: gateway 10\.0\.0\.1 is outside 192\.0\.2\.0\/24/],
  'a host name that is not one': [{ version: 1, hostname: 'not a name!', network: { mac: '52:54:00:12:34:56', mode: 'dhcp' }, ntp: [] }, /hostname: /],
};

for (const [name, [answers, message]] of Object.entries(refusals)) {
  test(`applyInstallAnswers() refuses ${name} and writes nothing`, async () => {
    const { run, dataDir, etcDir } = setup(answers);
    try {
      await run();
      assert.unreachable('it applied');
    } catch (err) {
      assert.ok(isAllianceError(err), String(err));
      assert.is(err.code, 'APL_CONSOLE_ANSWERS_INVALID');
      assert.match(err.message, message);
    }
    assert.not.ok(existsSync(join(etcDir, 'systemd')), 'no network file');
    assert.not.ok(existsSync(join(etcDir, 'hostname')), 'no host name');
    assert.ok(existsSync(join(dataDir, 'install', 'answers.json')), 'kept for the operator to fix');
  });
}

test.run();
