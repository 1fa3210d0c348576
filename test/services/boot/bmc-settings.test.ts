import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BmcSettings, type BmcSettingsInput, checkBmcSettings, describeBmc } from '../../../services/boot/bmc-settings.ts';
import { parseCertificatePin } from '../../../services/boot/fence/redfish-transport.ts';
import { refusal } from '../../_support/refusal.ts';

const PIN = 'AB:'.repeat(31) + 'CD';
const CA = `-----BEGIN CERTIFICATE-----
MIIBfDCCASOgAwIBAgIUQ0mR2Wm6ZQ2yJ1b3Jq9vY7v8mAQwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
`;

const accepted: Record<string, [BmcSettingsInput, BmcSettings, string]> = {
  'an IPMI BMC with defaults': [{ driver: 'ipmi', address: '10.0.0.9', username: 'ADMIN', password: 'pw' }, { driver: 'ipmi', address: '10.0.0.9', username: 'ADMIN' }, 'ipmi://10.0.0.9'],
  'an IPMI BMC on IPv6 with a port and cipher suite': [
    { driver: 'ipmi', address: 'fd00::9', port: 6230, username: 'fence', password: 'p'.repeat(20), cipherSuite: 3 },
    { driver: 'ipmi', address: 'fd00::9', username: 'fence', port: 6230, cipherSuite: 3 },
    'ipmi://[fd00::9]:6230',
  ],
  'a Redfish BMC with a pin in plain lower-case hex': [
    { driver: 'redfish', address: 'https://bmc1.lan:8443', systemId: 'System.Embedded.1', username: 'root', password: 'calvin', tlsFingerprint: PIN.replace(/:/g, '').toLowerCase() },
    { driver: 'redfish', address: 'https://bmc1.lan:8443', systemId: 'System.Embedded.1', username: 'root', tlsFingerprint: PIN },
    'https://bmc1.lan:8443/redfish/v1/Systems/System.Embedded.1',
  ],
};
for (const [name, [input, expected, described]] of Object.entries(accepted)) {
  test(`checkBmcSettings() accepts ${name}`, () => {
    const settings = checkBmcSettings('host-1', input);
    assert.equal(settings, expected);
    assert.is(describeBmc(settings), described);
  });
}

const ipmi = { driver: 'ipmi', address: '10.0.0.9', username: 'ADMIN', password: 'pw' };
const redfish = { driver: 'redfish', address: 'https://10.0.0.9', systemId: '1', username: 'root', password: 'pw', tlsFingerprint: PIN };
const refused: Record<string, [string, BmcSettingsInput, RegExp]> = {
  'a host id with a slash': ['../etc', ipmi, /the host id must be/],
  'an empty host id': ['', ipmi, /the host id must be/],
  'an unknown driver': ['h', { ...ipmi, driver: 'amt' }, /the driver "amt" is not ipmi or redfish/],
  'an address that looks like an option': ['h', { ...ipmi, address: '-oProxy' }, /BMC address "-oProxy"/],
  'an address with a space': ['h', { ...ipmi, address: 'bmc 1' }, /BMC address/],
  'an IPMI user longer than 16': ['h', { ...ipmi, username: 'u'.repeat(17) }, /BMC user/],
  'an IPMI password longer than 20 bytes': ['h', { ...ipmi, password: 'é'.repeat(11) }, /longer than the 20 bytes/],
  'an empty password': ['h', { ...ipmi, password: '' }, /the password is empty/],
  'a password with a newline': ['h', { ...ipmi, password: 'a\nb' }, /control characters/],
  'a Redfish field on an IPMI BMC': ['h', { ...ipmi, systemId: '1' }, /systemId is for Redfish BMCs only/],
  'port 0': ['h', { ...ipmi, port: 0 }, /BMC port/],
  'a Redfish BMC over http': ['h', { ...redfish, address: 'http://10.0.0.9' }, /must be an https:\/\/ URL/],
  'a Redfish URL with a path': ['h', { ...redfish, address: 'https://10.0.0.9/redfish' }, /Redfish URL/],
  'a Redfish BMC without a system id': ['h', { ...redfish, systemId: undefined }, /systemId is required/],
  'a Redfish system id with a slash': ['h', { ...redfish, systemId: '1/../2' }, /Redfish system id/],
  'a Redfish user with a colon': ['h', { ...redfish, username: 'a:b' }, /user name must be/],
  'a Redfish BMC without TLS trust': ['h', { ...redfish, tlsFingerprint: undefined }, /TLS trust is missing/],
  'a pin that is not SHA-256': ['h', { ...redfish, tlsFingerprint: 'AB:CD' }, /tlsFingerprint must be a SHA-256/],
  'a CA that is not PEM': ['h', { ...redfish, tlsFingerprint: undefined, tlsCaPem: 'hello' }, /tlsCaPem is not a PEM certificate/],
  'a CA that does not parse': ['h', { ...redfish, tlsFingerprint: undefined, tlsCaPem: CA }, /tlsCaPem does not parse/],
  'an IPMI port on a Redfish BMC': ['h', { ...redfish, port: 443 }, /port is for IPMI BMCs only/],
};
for (const [name, [hostId, input, message]] of Object.entries(refused)) {
  test(`checkBmcSettings() refuses ${name} with APL_BOOT_BMC_SETTINGS_INVALID`, () => {
    const err = refusal(() => checkBmcSettings(hostId, input));
    assert.is(err.code, 'APL_BOOT_BMC_SETTINGS_INVALID');
    assert.match(err.message, message);
    if (input.password.length > 2) assert.not.ok(err.message.includes(input.password), 'the message quotes the password');
  });
}

const pins: Record<string, [string, string | undefined]> = {
  'colon pairs in upper case': [PIN, PIN],
  'colon pairs in lower case': [PIN.toLowerCase(), PIN],
  'plain hex with spaces around': [`  ${PIN.replace(/:/g, '')}  `, PIN],
  'a SHA-1': ['AB:'.repeat(19) + 'AB', undefined],
  'misplaced colons': [`${PIN.replace(/:/g, '').slice(0, 3)}:${PIN.replace(/:/g, '').slice(3)}`, undefined],
  'not hex': ['ZZ:'.repeat(31) + 'ZZ', undefined],
};
for (const [name, [text, expected]] of Object.entries(pins)) {
  test(`parseCertificatePin() reads ${name}`, () => {
    assert.is(parseCertificatePin(text), expected);
  });
}

test.run();
