import { type AllianceError } from '../../../appliance/errors/index.ts';
import { bootErrors } from '../errors.ts';
import { type FenceResult } from './step-fence.ts';

// A failed fence as the coded error the controller receives over the bus (and
// logs): which host, which BMC, what went wrong. Undefined for a success.

const TARGET = { off: 'off', on: 'on', reboot: 'off', status: 'state' } as const;

export function fenceError(result: FenceResult, context: { host: string; bmc: string; timeoutMs: number }): AllianceError | undefined {
  if (result.ok) return undefined;
  const action = result.action === 'status' ? 'read the power state of' : `power ${result.action === 'reboot' ? 'cycle' : result.action}`;
  const params = { action, host: context.host, bmc: context.bmc, reason: result.failure.message };
  switch (result.failure.kind) {
    case 'timeout':
      return bootErrors.FENCE_TIMEOUT({ action, host: context.host, target: TARGET[result.action], ms: context.timeoutMs });
    case 'unreachable':
      return bootErrors.FENCE_UNREACHABLE(params);
    case 'auth':
      return bootErrors.FENCE_AUTH(params);
    case 'failed':
      return bootErrors.FENCE_FAILED(params);
  }
}
