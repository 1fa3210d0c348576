import { type SystemForm, type SystemSettings, validateSystem } from '../../../../appliance/contracts/index.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { renderHostsFile, renderResolvConf, renderTimesyncdDropIn } from '../../../../services/console/system/system-settings.ts';

const form: SystemForm = { hostname: 'alliance-1', dns: '192.0.2.53', ntp: 'pool.ntp.org' };
const HEADER = '# Written by the Alliance console (system settings); edits are overwritten.\n';

const good: { name: string; form: Partial<SystemForm>; value: SystemSettings }[] = [
  { name: 'a short name, one DNS server, one NTP server', form: {}, value: { hostname: 'alliance-1', dns: ['192.0.2.53'], ntp: ['pool.ntp.org'] } },
  { name: 'a dotted name in upper case, lower-cased and trimmed', form: { hostname: ' Alliance-1.Lab.Example.COM ' }, value: { hostname: 'alliance-1.lab.example.com', dns: ['192.0.2.53'], ntp: ['pool.ntp.org'] } },
  { name: 'a name starting with a digit (RFC 1123)', form: { hostname: '1u-rack3' }, value: { hostname: '1u-rack3', dns: ['192.0.2.53'], ntp: ['pool.ntp.org'] } },
  { name: 'a 63-character label', form: { hostname: 'a'.repeat(63) }, value: { hostname: 'a'.repeat(63), dns: ['192.0.2.53'], ntp: ['pool.ntp.org'] } },
  { name: 'a 64-character name', form: { hostname: `${'a'.repeat(31)}.${'b'.repeat(32)}` }, value: { hostname: `${'a'.repeat(31)}.${'b'.repeat(32)}`, dns: ['192.0.2.53'], ntp: ['pool.ntp.org'] } },
  { name: 'no DNS and no NTP servers', form: { dns: '', ntp: ' ' }, value: { hostname: 'alliance-1', dns: [], ntp: [] } },
  {
    name: 'three DNS and four NTP servers by commas and spaces, names lower-cased, repeats once',
    form: { dns: '1.1.1.1,1.0.0.1 9.9.9.9', ntp: '0.Pool.ntp.org, 1.pool.ntp.org 192.0.2.123,time.example 0.pool.ntp.org' },
    value: { hostname: 'alliance-1', dns: ['1.1.1.1', '1.0.0.1', '9.9.9.9'], ntp: ['0.pool.ntp.org', '1.pool.ntp.org', '192.0.2.123', 'time.example'] },
  },
];

for (const c of good) {
  test(`validateSystem() accepts ${c.name}`, () => {
    assert.equal(validateSystem({ ...form, ...c.form }), { ok: true, value: c.value });
  });
}

const bad: { name: string; form: Partial<SystemForm>; problems: Partial<Record<keyof SystemForm, string>> }[] = [
  { name: 'no host name', form: { hostname: '  ' }, problems: { hostname: 'a host name is needed' } },
  { name: 'an underscore', form: { hostname: 'my_host' }, problems: { hostname: '"my_host": only a-z, 0-9 and - allowed' } },
  { name: 'a space inside', form: { hostname: 'my host' }, problems: { hostname: '"my host": only a-z, 0-9 and - allowed' } },
  { name: 'a leading hyphen', form: { hostname: '-host' }, problems: { hostname: '"-host" starts or ends with -' } },
  { name: 'a trailing hyphen in a label', form: { hostname: 'host-.example' }, problems: { hostname: '"host-" starts or ends with -' } },
  { name: 'two dots', form: { hostname: 'host..example' }, problems: { hostname: 'an empty label (two dots, or one at an end)' } },
  { name: 'a trailing dot', form: { hostname: 'host.example.' }, problems: { hostname: 'an empty label (two dots, or one at an end)' } },
  { name: 'a 64-character label', form: { hostname: 'a'.repeat(64) }, problems: { hostname: 'label "aaaaaaaaaaaaaaaaaaa…" is over 63 characters' } },
  { name: 'a 65-character name', form: { hostname: `${'a'.repeat(32)}.${'b'.repeat(32)}` }, problems: { hostname: 'longer than 64 characters' } },
  { name: 'only digits', form: { hostname: '192.0.2.1' }, problems: { hostname: 'only digits: that reads as an address' } },
  { name: 'four DNS servers', form: { dns: '1.1.1.1 1.0.0.1 8.8.8.8 9.9.9.9' }, problems: { dns: 'at most 3 DNS servers' } },
  { name: 'a DNS server that is a name', form: { dns: 'dns.example' }, problems: { dns: '"dns.example" is not an IPv4 address' } },
  { name: 'a multicast DNS server', form: { dns: '224.0.0.251' }, problems: { dns: '224.0.0.251 is a multicast address' } },
  { name: 'five NTP servers', form: { ntp: 'a b c d e' }, problems: { ntp: 'at most 4 NTP servers' } },
  { name: 'an NTP server with a port', form: { ntp: 'time.example:123' }, problems: { ntp: '"time.example:123" is not a host name or IPv4' } },
  { name: 'an NTP server that is a URL', form: { ntp: 'ntp://time.example' }, problems: { ntp: '"ntp://time.example" is not a host name or IPv4' } },
  { name: 'every field wrong at once', form: { hostname: 'a_b', dns: 'x', ntp: '-bad' }, problems: { hostname: '"a_b": only a-z, 0-9 and - allowed', dns: '"x" is not an IPv4 address', ntp: '"-bad" is not a host name or IPv4' } },
];

for (const c of bad) {
  test(`validateSystem() refuses ${c.name}`, () => {
    assert.equal(validateSystem({ ...form, ...c.form }), { ok: false, problems: c.problems });
  });
}

test('validateSystem() problems fit beside a field on an 80-column screen', () => {
  const worst = validateSystem({ hostname: `${'x'.repeat(300)}_`, dns: 'y'.repeat(300), ntp: `${'z'.repeat(300)}/` });
  assert.is(worst.ok, false);
  if (!worst.ok) for (const problem of Object.values(worst.problems)) assert.ok(problem.length < 60, problem);
  for (const c of bad) for (const problem of Object.values(c.problems)) assert.ok(problem.length < 60, problem);
});

test('renderResolvConf() writes one nameserver line per server', () => {
  assert.is(renderResolvConf(['192.0.2.53', '1.1.1.1']), `${HEADER}nameserver 192.0.2.53\nnameserver 1.1.1.1\n`);
});

test('renderResolvConf() writes only the header for no servers', () => {
  assert.is(renderResolvConf([]), HEADER);
});

test('renderTimesyncdDropIn() writes the servers on one NTP= line', () => {
  assert.is(renderTimesyncdDropIn(['0.pool.ntp.org', '192.0.2.123']), `${HEADER}[Time]\nNTP=0.pool.ntp.org 192.0.2.123\n`);
});

test("renderTimesyncdDropIn() writes an empty NTP= for timesyncd's fallback servers", () => {
  assert.is(renderTimesyncdDropIn([]), `${HEADER}[Time]\nNTP=\n`);
});

test('renderResolvConf() and renderTimesyncdDropIn() refuse values that would break the file', () => {
  for (const render of [() => renderResolvConf(['1.1.1.1\noptions rotate']), () => renderTimesyncdDropIn(['a\n[Time]']), () => renderTimesyncdDropIn(['a b'])]) {
    try {
      render();
      assert.unreachable('rendered');
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_CONSOLE_SYSTEM_SETTINGS_INVALID'), String(err));
    }
  }
});

const DEBIAN_HOSTS = `127.0.0.1\tlocalhost
127.0.1.1\tdebian

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
`;

test('renderHostsFile() replaces the 127.0.1.1 line and keeps the rest', () => {
  assert.is(
    renderHostsFile(DEBIAN_HOSTS, 'alliance-1'),
    `127.0.0.1\tlocalhost
127.0.1.1\talliance-1

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
`,
  );
});

test('renderHostsFile() names a dotted host by its full name and first label', () => {
  assert.is(renderHostsFile('127.0.0.1 localhost\n127.0.1.1 old.example old\n', 'new.lab.example'), '127.0.0.1 localhost\n127.0.1.1\tnew.lab.example new\n');
});

test('renderHostsFile() adds the line after the loopback line when there is none', () => {
  assert.is(renderHostsFile('127.0.0.1 localhost\n::1 localhost\n', 'alliance-1'), '127.0.0.1 localhost\n127.0.1.1\talliance-1\n::1 localhost\n');
});

test('renderHostsFile() makes the file when there is none', () => {
  assert.is(renderHostsFile(null, 'alliance-1'), '127.0.0.1\tlocalhost\n127.0.1.1\talliance-1\n');
});

test('renderHostsFile() adds the line first in a file without loopback, and ends it with a newline', () => {
  assert.is(renderHostsFile('192.0.2.9 other', 'alliance-1'), '127.0.1.1\talliance-1\n192.0.2.9 other\n');
});

test.run();
