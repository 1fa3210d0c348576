import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import type { DataDirLayout } from '../data-dir/index.ts';
import { BusServer, EventPublisher, type Method } from '../bus/index.ts';
import type { Logger } from '../log/index.ts';
import type { ServiceDefinition } from '../supervisor/index.ts';
import { applianceMethods } from './bus-methods.ts';
import type { Journal } from './journal.ts';
import type { VisibleNodes } from './discovery-service.ts';
import type { ApplianceStatus } from './status-schema.ts';

export interface BusServiceOptions {
  readonly layout: DataDirLayout;
  readonly config: Config;
  readonly log: Logger;
  readonly status: () => ApplianceStatus;
  readonly journal: Journal;
  readonly visible: () => VisibleNodes;
  readonly onAnswer: (method: string, outcome: string, seconds: number) => void;
  /** Told the event publisher while the service runs, and undefined once it stops. */
  readonly onPublisher: (publisher: EventPublisher | undefined) => void;
  /** Methods the services contribute (ServicePlugin.busMethods), served beside the appliance's own on the local socket only. */
  readonly extraMethods?: readonly Readonly<Record<string, Method>>[];
}

/** The appliance's methods plus the services'; a name served twice is a wiring mistake and refuses the start. */
export function mergeMethods(own: Record<string, Method>, extra: readonly Readonly<Record<string, Method>>[]): Record<string, Method> {
  const all: Record<string, Method> = { ...own };
  for (const methods of extra) {
    for (const [name, method] of Object.entries(methods)) {
      if (Object.hasOwn(all, name)) throw new Error(`Cannot serve bus method ${name}: it is already served`);
      all[name] = method;
    }
  }
  return all;
}

/**
 * The appliance's bus: methods and events on local ipc sockets (0600, like the
 * control socket: reaching them is the authentication), and the appliance's
 * own methods on tls+tcp for the peers in bus.trusted_peers when bus.listen is
 * set. The services' methods (the controller's for the console and the boot
 * service, fencing) stay local: a trusted peer is another appliance, not an
 * operator at this one.
 */
export function busService(options: BusServiceOptions): ServiceDefinition {
  const { layout, config } = options;
  return {
    name: 'bus',
    async start() {
      // describe() runs only when bus.methods is called, after its server exists; each server lists what it serves.
      const own = (describe: () => ReturnType<BusServer['describe']>) => applianceMethods({ status: options.status, journal: options.journal, visible: options.visible, describe });
      const methods = mergeMethods(own(() => server.describe()), options.extraMethods ?? []);
      const log = options.log.child({ svc: 'bus' });
      const server: BusServer = await BusServer.open(methods, { log, onAnswer: options.onAnswer });
      let peers: BusServer | undefined;
      const events = await EventPublisher.open();
      try {
        server.listen(`ipc://${layout.busSocket}`, { ipcPermissions: 0o600 });
        events.listen(`ipc://${layout.eventsSocket}`, { ipcPermissions: 0o600 });
        if (config.bus.listen !== '') {
          const tls = { cert: readFileSync(layout.busCert, 'utf8'), key: readFileSync(layout.busKey, 'utf8'), ca: readFileSync(config.bus.trusted_peers, 'utf8'), authMode: 'required' as const };
          const peerServer: BusServer = await BusServer.open(own(() => peerServer.describe()), { log, onAnswer: options.onAnswer });
          peers = peerServer;
          peers.listen(config.bus.listen, { tls });
        }
      } catch (err) {
        events.close();
        await peers?.close();
        await server.close();
        throw err;
      }
      options.onPublisher(events);
      return {
        async stop() {
          options.onPublisher(undefined);
          events.close();
          await peers?.close();
          await server.close();
        },
      };
    },
  };
}
