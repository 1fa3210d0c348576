import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busPortOf } from '../../../../services/controller/hosts/index.ts';

const ports: Record<string, { listen: string; expected: number }> = {
  'reads the port of an IPv4 wildcard': { listen: 'tls+tcp://0.0.0.0:8444', expected: 8444 },
  'reads the port of a bracketed IPv6 address': { listen: 'tls+tcp://[::]:9000', expected: 9000 },
  'reads the port of a host name': { listen: 'tls+tcp://controller.example:1', expected: 1 },
  'reads the highest port': { listen: 'tls+tcp://0.0.0.0:65535', expected: 65_535 },
};

for (const [behaviour, { listen, expected }] of Object.entries(ports)) {
  test(`busPortOf() ${behaviour}`, () => {
    assert.is(busPortOf(listen), expected);
  });
}

for (const listen of ['tls+tcp://0.0.0.0', 'tls+tcp://0.0.0.0:0', 'tls+tcp://0.0.0.0:70000']) {
  test(`busPortOf() refuses ${listen}`, () => {
    assert.throws(() => busPortOf(listen), /Cannot read a port/);
  });
}

test.run();
