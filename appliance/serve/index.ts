export { controlRoutes, NewEventBody } from './control-routes.ts';
export { initialise, requireInitialised } from './initialise.ts';
export type { InitialiseOptions, InitialiseReport } from './initialise.ts';
export { managementUrls } from './management-urls.ts';
export { serve } from './serve.ts';
export type { RunningAppliance, ServeOptions } from './serve.ts';
export { ApplianceStatusSchema } from './status-schema.ts';
export type { ApplianceStatus } from './status-schema.ts';
