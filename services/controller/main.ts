import { defaultConfig } from '../../appliance/config/index.ts';
import type { ServiceModule, ServicePlugin } from '../../appliance/serve/index.ts';
import { controllerApi, type ApiFeature } from './api/controller-api.ts';
import { createControllerCore } from './api/controller-core.ts';
import { computeFeature } from './compute/index.ts';
import { withEvacuationTimer } from './compute/evacuation/index.ts';
import { hostsFeature } from './hosts/index.ts';
import { initialiseController } from './identity/initialise-controller.ts';

/** The controller: desired state, the REST API under /api/v1, identities and access, host enrolment, compute. */
export const controllerModule: ServiceModule = {
  name: 'controller',

  plugin(ctx): ServicePlugin {
    if (!ctx.config.controller.enabled) {
      return { name: 'controller', service: { name: 'controller', preflight: () => 'controller.enabled is false', start: async () => ({ stop: async () => undefined }) } };
    }
    const core = createControllerCore({ store: ctx.store, config: ctx.config.controller, log: ctx.log, now: ctx.now, note: ctx.note });

    // Features plug in here: each adds routes under /api/v1 (access-checked,
    // audited on refusal, in the OpenAPI document) and, if it needs one, a
    // supervised service.
    if (core.users.countWithRole('*', 'cloud-admin') === 0) {
      // The first admin is never created by whoever reaches the API first; say how to make one.
      const message = 'No cloud admin exists yet, so nobody can log in: create one with `alliance init --admin NAME` (or from the console)';
      ctx.note('controller.no-admin', 'warning', message, {});
      ctx.log.warn(message);
    }
    const compute = computeFeature(ctx);
    const hosts = hostsFeature(ctx, { compute: compute.port, onLivenessTransition: (t) => compute.evacuation.onLivenessTransition(t) });
    const features: ApiFeature[] = [hosts, compute];

    return { name: 'controller', publicRoutes: controllerApi(core, { features }), service: withEvacuationTimer(hosts.service, compute.evacuation), busMethods: hosts.localBusMethods };
  },

  initialise: (ctx) => initialiseController(ctx, { passwordCost: defaultConfig('alliance').controller.password_cost }),
};
