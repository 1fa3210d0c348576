import type { ServiceDefinition } from '../../../../appliance/supervisor/index.ts';
import type { Evacuator } from './evacuator.ts';

/** How often unfinished evacuations are looked at (fence retries wait their own back-off on top). */
export const EVACUATION_TICK_MS = 10_000;

/**
 * `service` with the evacuation timer beside it: on start it resumes what a
 * restart interrupted, then every `everyMs` retries fences whose back-off has
 * passed. Stopping waits for a pass under way.
 */
export function withEvacuationTimer(service: ServiceDefinition, evacuator: Pick<Evacuator, 'tick' | 'idle'>, everyMs = EVACUATION_TICK_MS): ServiceDefinition {
  return {
    ...service,
    async start(ctx) {
      const running = await service.start(ctx);
      const tick = (): void => {
        // Through a promise, so that even a tick that throws at once is logged, never an uncaught exception.
        Promise.resolve()
          .then(() => evacuator.tick())
          .catch((err: unknown) => ctx.log.error({ err }, 'evacuation pass failed; the next tick tries again'));
      };
      tick();
      const timer = setInterval(tick, everyMs);
      return {
        async stop() {
          clearInterval(timer);
          await evacuator.idle();
          await running.stop();
        },
      };
    },
  };
}
