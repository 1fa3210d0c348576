// The reference server of control-plane.bench.ts: a BusServer on tls+tcp with
// the controller's certificate and a heartbeat method that does nothing.
// argv: URL CERT KEY CA. Tells its parent over IPC once it listens.
import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { BusServer, defineMethod } from '../../appliance/bus/index.ts';
import { HeartbeatParams, HeartbeatResult, HOST_METHODS } from '../../appliance/contracts/index.ts';
import { createLogger } from '../../appliance/log/index.ts';

const [url, cert, key, ca] = process.argv.slice(2) as [string, string, string, string];
const server = await BusServer.open(
  {
    [HOST_METHODS.heartbeat]: defineMethod({
      description: 'does nothing',
      params: HeartbeatParams,
      result: HeartbeatResult,
      handler: () => ({ state: 'active' as const, sendInventory: false, intervalSeconds: 5 }),
    }),
    noop: defineMethod({ description: 'unused', params: Type.Object({}), result: Type.Object({}), handler: () => ({}) }),
  },
  { log: createLogger('warn') },
);
server.listen(url, { tls: { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), ca: readFileSync(ca, 'utf8'), authMode: 'required' } });
process.send?.('listening');
