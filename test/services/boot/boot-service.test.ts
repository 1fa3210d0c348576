import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig, type Config } from '../../../appliance/config/index.ts';
import { dataDirLayout } from '../../../appliance/data-dir/index.ts';
import { bootService, dnsmasqOptions } from '../../../services/boot/boot-service.ts';

const layout = dataDirLayout('/var/lib/alliance');
const base = defaultConfig('appliance');
const withBoot = (boot: Partial<Config['boot']>): Config => ({ ...base, boot: { ...base.boot, enabled: true, interface: 'prov0', server_address: '10.20.0.1', range_start: '10.20.0.100', range_end: '10.20.0.200', ...boot } });

test('dnsmasqOptions() maps the boot settings of dhcp mode to a spec, a run directory under /run and the hook wrapper', () => {
  const options = dnsmasqOptions({ config: withBoot({}), layout, nodeId: 'ABCDEFGHIJKLMNOPQRSTUV', executable: '/usr/bin/alliance' });
  assert.equal(options.runDir, '/run/alliance-boot/abcdefghijklmnop');
  assert.equal(options.spec.mode, { kind: 'dhcp', rangeStart: '10.20.0.100', rangeEnd: '10.20.0.200', netmask: '255.255.255.0', leaseSeconds: 3600 });
  assert.is(options.spec.interface, 'prov0');
  assert.is(options.spec.serverAddress, '10.20.0.1');
  assert.is(options.spec.unknownMacs, 'discover');
  assert.is(options.spec.httpPort, 8081);
  assert.is(options.spec.tftpRoot, '/usr/lib/ipxe');
  assert.equal(options.hook, { executable: '/usr/bin/alliance', args: ['boot', 'lease-hook', '--data-dir=/var/lib/alliance', '--'] });
});

test('dnsmasqOptions() takes range_start as the proxied subnet in proxy mode', () => {
  const options = dnsmasqOptions({ config: withBoot({ mode: 'proxy', range_start: '10.20.0.0' }), layout, nodeId: 'N', executable: '/usr/bin/alliance' });
  assert.equal(options.spec.mode, { kind: 'proxy', subnet: '10.20.0.0', netmask: '255.255.255.0' });
});

test('dnsmasqOptions() answers unknown MACs under admit as under discover, and not under ignore', () => {
  const answered = (policy: Config['boot']['unknown_hosts']) => dnsmasqOptions({ config: withBoot({ unknown_hosts: policy }), layout, nodeId: 'N', executable: '/usr/bin/alliance' }).spec.unknownMacs;
  assert.equal([answered('discover'), answered('admit'), answered('ignore')], ['discover', 'discover', 'ignore']);
});

test('bootService() stays off while boot.enabled is false', () => {
  const refuse = () => Promise.reject(new Error('not called'));
  const service = bootService({ config: base, layout, nodeId: 'N', executable: '/usr/bin/alliance', plugin: { call: refuse, note: () => undefined } });
  assert.is(service.preflight?.(), 'boot.enabled is false');
});

test.run();
