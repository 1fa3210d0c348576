import { type DriverFailureKind, type PowerDriver } from './power-driver.ts';
import { buildRedfishRequest, interpretRedfishResponse, type RedfishRequest, type RedfishResponse, type RedfishTarget, redfishSystemUrl } from './redfish-request.ts';
import { redactSecrets, type SecretValue } from './secret-value.ts';

// A PowerDriver over Redfish. The HTTP transport is injected: in production a
// fetch with the BMC's certificate policy, in tests a DMTF-shaped double. A
// transport that throws means no answer: a timeout when the signal fired,
// unreachable otherwise, unless the error names its own failureKind (a BMC
// certificate that is not the trusted one is `failed`, not a network fault).

export type RedfishTransport = (request: RedfishRequest, options: { signal: AbortSignal }) => Promise<RedfishResponse>;

export function redfishDriver(target: RedfishTarget, options: { password: SecretValue; transport: RedfishTransport }): PowerDriver {
  const url = redfishSystemUrl(target);
  return {
    target: url,
    async call(operation, { signal }) {
      const request = buildRedfishRequest(target, { operation, password: options.password });
      let response: RedfishResponse;
      try {
        response = await options.transport(request, { signal });
      } catch (e) {
        const message = redactSecrets(e instanceof Error ? e.message : String(e), [options.password]);
        const named = (e as { failureKind?: unknown } | null)?.failureKind;
        const kind: DriverFailureKind = named === 'failed' || named === 'auth' ? named : signal.aborted ? 'timeout' : 'unreachable';
        return { ok: false, failure: { kind, message: `${kind === 'failed' ? 'refused' : 'no answer from'} ${url}: ${message}` } };
      }
      const outcome = interpretRedfishResponse(operation, response);
      return outcome.ok ? outcome : { ok: false, failure: { ...outcome.failure, message: redactSecrets(outcome.failure.message, [options.password]) } };
    },
  };
}
