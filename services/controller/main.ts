import type { ServiceModule } from '../../appliance/serve/index.ts';

/** The controller: desired state, the REST API under /api/v1, identities and access, host enrolment. */
export const controllerModule: ServiceModule = {
  name: 'controller',
};
