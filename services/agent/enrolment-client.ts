import { ENROLMENT_PATH, type Inventory } from '../../appliance/contracts/index.ts';
import { httpsJson } from '../../appliance/api/index.ts';
import { describeError, isAllianceError } from '../../appliance/errors/index.ts';
import type { Logger } from '../../appliance/log/index.ts';
import type { AgentKeys } from './agent-keys.ts';
import { backoffDelay } from './backoff-delay.ts';
import type { Bootstrap } from './bootstrap-file.ts';
import { decideEnrolment } from './enrolment-decision.ts';
import { buildEnrolmentRequest } from './enrolment-request.ts';
import { agentErrors } from './errors.ts';
import { fetchFingerprint } from './fetch-fingerprint.ts';
import { formatHostPort, httpsUrlOf, type HostPort } from './host-port.ts';
import { sleep } from './_sleep.ts';

export interface EnrolOptions {
  readonly target: HostPort;
  /** SHA-256 fingerprint of the controller's HTTPS certificate; empty to trust what it shows first (and say so). */
  readonly fingerprint: string;
  readonly joinCode?: { readonly id: string; readonly secret: string } | undefined;
  readonly name: string;
  readonly agentVersion: string;
  readonly addresses: () => readonly string[];
  readonly inventory: () => Inventory | null;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  readonly nonce: () => string;
  /** Delays between attempts; default 2 s doubling to 30 s. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  /** Give up after this many attempts in a row that reach no controller (to look for it again); default never. */
  readonly maxUnreachable?: number;
  readonly random?: () => number;
  readonly timeoutMs?: number;
}

export type EnrolResult =
  | { readonly kind: 'admitted'; readonly bootstrap: Bootstrap }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'unreachable' };

/**
 * Asks the controller to admit this host until it does: a fresh signed request
 * per attempt, waiting (with capped back-off) while the host is pending or
 * refused. Throws only when the controller fails its join proof: that is not
 * our controller, and talking on would be wrong.
 */
export async function enrol(keys: AgentKeys, options: EnrolOptions): Promise<EnrolResult> {
  const { log, signal, target } = options;
  const url = httpsUrlOf(target);
  const hostId = keys.identity.nodeId;
  const backoff = options.backoff ?? { minMs: 2000, maxMs: 30_000 };
  let pin = options.fingerprint.toUpperCase();
  let attempt = 0;
  let unreachable = 0;
  let lastState = '';
  const wait = (): number => backoffDelay(attempt++, { ...backoff, random: options.random?.() ?? 0.5 });
  while (!signal.aborted) {
    let ms: number;
    try {
      if (pin === '') {
        pin = await fetchFingerprint(target, { url, timeoutMs: options.timeoutMs });
        log.warn({ url, fingerprint: pin }, 'no fingerprint pinned for the controller: trusting the certificate it presents now (compare it with `alliance status` on the appliance; set agent.fingerprint to pin it)');
      }
      const request = buildEnrolmentRequest(keys, {
        name: options.name,
        joinCode: options.joinCode,
        now: options.now(),
        nonce: options.nonce(),
        addresses: options.addresses(),
        agentVersion: options.agentVersion,
        inventory: options.inventory(),
      });
      const answer = await httpsJson({ url, fingerprint: pin, timeoutMs: options.timeoutMs ?? 10_000 }, 'POST', ENROLMENT_PATH, { body: request });
      unreachable = 0;
      const outcome = decideEnrolment(answer, { hostId, tlsPublicPem: keys.tlsPublicPem, joinCode: options.joinCode });
      switch (outcome.kind) {
        case 'admitted':
          log.info({ hostId, url, busPort: outcome.busPort }, 'admitted by the controller');
          return {
            kind: 'admitted',
            bootstrap: {
              version: 1,
              hostId,
              controller: formatHostPort(target),
              controllerFingerprint: pin,
              busPort: outcome.busPort,
              busServerName: outcome.busServerName,
              clusterCa: outcome.clusterCa,
              certificate: outcome.certificate,
              credential: outcome.credential,
              admittedAt: options.now().toISOString(),
            },
          };
        case 'impostor':
          throw agentErrors.CONTROLLER_PROOF_MISMATCH({ url, tokenId: options.joinCode?.id ?? '' });
        case 'pending': {
          ms = wait();
          // Said once per change of state, then quietly: a host may wait for approval for days.
          const say = lastState === 'pending' ? log.debug.bind(log) : log.info.bind(log);
          say({ hostId, url, message: outcome.message, retryInMs: ms }, `waiting for approval: run \`alliance hosts approve ${hostId}\` on the appliance`);
          lastState = 'pending';
          break;
        }
        case 'refused': {
          ms = wait();
          const err = agentErrors.ENROLMENT_REFUSED({ url, reason: outcome.message, code: outcome.code, retryInS: Math.round(ms / 1000) });
          log.warn({ code: err.code, refusal: outcome.code, hostId }, err.message);
          lastState = outcome.code;
          break;
        }
        case 'invalid': {
          ms = wait();
          const err = agentErrors.ENROLMENT_ANSWER_INVALID({ url, status: answer.status, problem: outcome.problem });
          log.warn({ code: err.code, retryInMs: ms }, err.message);
          lastState = 'invalid';
          break;
        }
      }
    } catch (err) {
      if (isAllianceError(err, 'APL_AGENT_CONTROLLER_PROOF_MISMATCH')) throw err;
      ms = wait();
      if (isAllianceError(err, 'APL_API_FINGERPRINT_MISMATCH')) {
        log.error({ code: err.code, retryInMs: ms }, err.message);
      } else {
        unreachable += 1;
        const e = agentErrors.CONTROLLER_UNREACHABLE({ url, reason: describeError(err) });
        log.warn({ code: e.code, cause: isAllianceError(err) ? err.code : undefined, retryInMs: ms }, e.message);
        if (unreachable >= (options.maxUnreachable ?? Infinity)) return { kind: 'unreachable' };
      }
      lastState = 'error';
    }
    if (!(await sleep(ms, signal))) return { kind: 'stopped' };
  }
  return { kind: 'stopped' };
}
