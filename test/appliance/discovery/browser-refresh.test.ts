// The browser asks again for a record it holds at 80, 85, 90 and 95% of its
// TTL (RFC 6762 §5.2), so that one lost answer does not drop an instance; an
// answer starts the count again. A recording transport stands in for the sockets.
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Browser } from '../../../appliance/discovery/browser.ts';
import type { MdnsTransport, ReceivedPacket } from '../../../appliance/discovery/mdns-transport.ts';
import type { MdnsRecord } from '../../../appliance/discovery/records.ts';

const iface = { name: 'eth0', v4: [{ address: '10.0.0.1', prefix: 24 }], v6: [] };
// A 3 s TTL: asks fall between 2400 and 2910 ms, expiry at 3000 ms.
const record: MdnsRecord = { name: 'alliance-x.local', type: 'A', ttl: 3, flush: true, data: '10.0.0.2' };
const answer = (ttl = 3): ReceivedPacket => ({ kind: 'response', questions: [], answers: [{ ...record, ttl }], authorities: [], iface: 'eth0', from: '10.0.0.2' });

function recordingBrowser() {
  const asked: number[] = [];
  const started = performance.now();
  const transport = {
    interfaces: [iface],
    send: (_link: unknown, packet: { questions?: { name: string }[] }) => {
      if (packet.questions?.some((q) => q.name === record.name)) asked.push(performance.now() - started);
      return Promise.resolve();
    },
  } as unknown as MdnsTransport;
  return { browser: new Browser({ transport, roles: ['appliance'] }), asked };
}

test('a record nobody answers for is asked for four times, between 80% and 97% of its TTL, then expires', async () => {
  const { browser, asked } = recordingBrowser();
  browser.handle(answer());
  await sleep(3200);
  browser.stop();
  assert.is(asked.length, 4, `asked at ${asked.map((t) => t.toFixed(0)).join(', ')} ms`);
  assert.ok(asked[0]! >= 2400 && asked[3]! < 3000, `asked at ${asked.map((t) => t.toFixed(0)).join(', ')} ms`);
});

test('an answer after the first ask starts the count again: no more asks until 80% of the new TTL', async () => {
  const { browser, asked } = recordingBrowser();
  browser.handle(answer());
  await sleep(2500); // one ask at 80-82%
  const before = asked.length;
  browser.handle(answer(6));
  await sleep(700); // the old record's 85-95% asks would fall here
  browser.stop();
  assert.is(before, 1);
  assert.is(asked.length, 1, `asked at ${asked.map((t) => t.toFixed(0)).join(', ')} ms`);
});

test.run();
