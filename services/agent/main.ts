import type { ServiceModule } from '../../appliance/serve/index.ts';
import { runAgent } from './agent.ts';

/** The host agent: finds the controller, enrols, reports inventory and heartbeats, fetches desired state (nothing is applied yet: see reconcile.ts). */
export const agentModule: ServiceModule = {
  name: 'agent',
  run: (ctx) => runAgent(ctx),
};
