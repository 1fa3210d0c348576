import type { ServiceModule } from '../../appliance/serve/index.ts';
import { runAgent } from './agent.ts';

/** The host agent: finds the controller, enrols, reports inventory and heartbeats, applies desired state. */
export const agentModule: ServiceModule = {
  name: 'agent',
  run: (ctx) => runAgent(ctx),
};
