// Real virsh against libvirt's test driver. test:///default keeps its fake
// host per connection, so this also shows that one VirshLibvirt is one
// connection: what a command defines, the next one sees.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { domainNameOf } from '../../../../appliance/contracts/index.ts';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { parseDomainState, VirshLibvirt } from '../../../../services/agent/hypervisor/libvirt.ts';
import { renderDomain } from '../../../../services/agent/hypervisor/render-domain.ts';
import { specOf } from './_specs.ts';

const dir = mkdtempSync(join(tmpdir(), 'alliance virsh '));
const libvirt = new VirshLibvirt('test:///default');
const spec = specOf(1);
const name = domainNameOf(spec.id);

test.after(() => {
  libvirt.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rejectsWith(what: Promise<unknown>, code: string): Promise<string> {
  try {
    await what;
  } catch (err) {
    assert.ok(isAllianceError(err, code), `expected ${code}, got ${String(err)}`);
    return (err as Error).message;
  }
  assert.unreachable(`expected ${code}, it resolved`);
  return '';
}

test('VirshLibvirt lists the test driver\'s own domain', async () => {
  assert.equal(await libvirt.listDomains(), ['test']);
});

test('VirshLibvirt defines, starts, shuts down, destroys and undefines a rendered domain on one connection', async () => {
  // The directory name has a space: the path goes to virsh quoted.
  const xml = join(dir, 'domain.xml');
  writeFileSync(xml, renderDomain(spec, { rootDisk: join(dir, 'disk.qcow2'), seedIso: undefined, consoleLog: join(dir, 'console.log') }, { virtType: 'kvm' }));
  await libvirt.define(xml);
  assert.equal((await libvirt.listDomains()).sort(), [name, 'test'].sort());
  assert.is(await libvirt.domainState(name), 'shut off');
  await libvirt.start(name);
  assert.is(await libvirt.domainState(name), 'running');
  assert.match(await libvirt.dumpXml(name), `<uuid>${spec.id}</uuid>`);
  await libvirt.reboot(name);
  await libvirt.shutdown(name);
  assert.is(await libvirt.domainState(name), 'shut off');
  await libvirt.start(name);
  await libvirt.destroy(name);
  assert.is(await libvirt.domainState(name), 'shut off');
  await libvirt.undefine(name);
  assert.equal(await libvirt.listDomains(), ['test']);
});

test('VirshLibvirt answers a domain that is not there with APL_HYPERVISOR_DOMAIN_NOT_FOUND and keeps working', async () => {
  const message = await rejectsWith(libvirt.domainState('alliance-nope'), 'APL_HYPERVISOR_DOMAIN_NOT_FOUND');
  assert.match(message, 'alliance-nope');
  await rejectsWith(libvirt.start('alliance-nope'), 'APL_HYPERVISOR_DOMAIN_NOT_FOUND');
  assert.equal(await libvirt.listDomains(), ['test']);
});

test('VirshLibvirt turns other virsh errors into APL_HYPERVISOR_VIRSH_FAILED with libvirt\'s words', async () => {
  const bad = join(dir, 'bad.xml');
  writeFileSync(bad, '<domain type="kvm"><name>x</name>');
  const message = await rejectsWith(libvirt.define(bad), 'APL_HYPERVISOR_VIRSH_FAILED');
  assert.match(message, /virsh define .*bad\.xml failed: .*XML/i);
  await rejectsWith(libvirt.shutdown('test').then(() => libvirt.shutdown('test')), 'APL_HYPERVISOR_VIRSH_FAILED');
  await libvirt.start('test');
});

test('VirshLibvirt reports a virsh that cannot run as APL_HYPERVISOR_VIRSH_UNAVAILABLE', async () => {
  const missing = new VirshLibvirt('test:///default', { virsh: join(dir, 'no-virsh') });
  await rejectsWith(missing.listDomains(), 'APL_HYPERVISOR_VIRSH_UNAVAILABLE');
  missing.close();
});

test('VirshLibvirt refuses an argument virsh could not take literally', async () => {
  try {
    await libvirt.start("it's");
    assert.unreachable();
  } catch (err) {
    assert.instance(err, TypeError);
  }
});

const states: Record<string, string> = {
  running: 'running',
  idle: 'running',
  blocked: 'running',
  paused: 'paused',
  'in shutdown': 'in shutdown',
  'shut off': 'shut off',
  crashed: 'crashed',
  pmsuspended: 'other',
  dying: 'other',
};
test('parseDomainState() folds every virsh domstate word', () => {
  for (const [word, state] of Object.entries(states)) assert.is(parseDomainState(`${word}\n\n`), state, word);
});

test.run();
