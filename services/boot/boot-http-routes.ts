import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HostState } from '../../appliance/contracts/index.ts';
import { describeError } from '../../appliance/errors/index.ts';
import type { Logger } from '../../appliance/log/index.ts';
import { normaliseMac } from './_dhcp-values.ts';
import { type BootDecision, decideBoot } from './boot-decision.ts';
import { HOST_SCRIPT_PATH, IPXE_CHAIN_PATH, renderChainScript, renderIpxeScript } from './ipxe-script.ts';
import type { KernelParams } from './kernel-cmdline.ts';

// The plain-HTTP side of network boot: the first-stage script dnsmasq names,
// the per-machine script, and the host image. Firmware cannot authenticate,
// so this listens on the provisioning address only and hands out nothing
// secret but what the policy says: a single-use join code under `admit`.

export interface BootHttpDeps {
  /** `http://<boot.server_address>:<boot.http_port>`: where iPXE fetches everything. */
  readonly applianceUrl: string;
  /** `host:port` of the controller's HTTPS API, for the agent's kernel command line. */
  readonly controller: string;
  /** The fingerprint pin of that API's certificate, read when a script is made (it may be renewed). */
  readonly fingerprint: () => string;
  readonly policy: 'discover' | 'admit' | 'ignore';
  /** Holds `<arch>/vmlinuz` and `<arch>/initrd.img`. */
  readonly imageDir: string;
  /** The host owning a MAC, from the controller. */
  readonly hostByMac: (mac: string) => Promise<{ readonly id: string; readonly state: HostState } | undefined>;
  /** A fresh single-use join code from the controller, for the machine at `address`. */
  readonly joinCode: (mac: string, address: string) => Promise<string>;
  readonly log: Logger;
  /** Told every decision, for the journal. */
  readonly onDecision: (decision: BootDecision, address: string) => void;
}

const IPXE_TYPE = 'text/plain; charset=utf-8';
const Word = Type.String({ maxLength: 64 });
const HostQuery = Type.Object({ mac: Type.Optional(Word), arch: Type.Optional(Word), platform: Type.Optional(Word), version: Type.Optional(Word) });
const ImageParams = Type.Object({
  arch: Type.Union([Type.Literal('x86_64'), Type.Literal('arm64')]),
  file: Type.Union([Type.Literal('vmlinuz'), Type.Literal('initrd.img')]),
});

/** GET /boot/ipxe, /boot/host and /boot/image/<arch>/<file>, as a Fastify plugin. */
export function bootHttpRoutes(deps: BootHttpDeps): (app: FastifyInstance) => Promise<void> {
  const chain = renderChainScript({ appliance: deps.applianceUrl });
  return async (app) => {
    app.get(IPXE_CHAIN_PATH, async (_request, reply) => reply.type(IPXE_TYPE).send(chain));

    app.get<{ Querystring: { mac?: string; arch?: string; platform?: string; version?: string } }>(
      HOST_SCRIPT_PATH,
      { schema: { querystring: HostQuery } },
      async (request, reply) => {
        const address = request.ip;
        const mac = normaliseMac(request.query.mac ?? '');
        let host: { readonly id: string; readonly state: HostState } | undefined;
        try {
          host = mac === undefined ? undefined : await deps.hostByMac(mac);
        } catch (err) {
          return unavailable(reply, deps.log, err, 'look the MAC up');
        }
        const { arch, platform, version } = request.query;
        const decision = decideBoot({ mac: request.query.mac, arch, platform, version }, { host, unknownMacPolicy: deps.policy });
        // Only a boot of the image needs a kernel command line: a deny or a local disk reads no certificate.
        let kernel: KernelParams | undefined;
        if (decision.kind === 'enrol' || decision.kind === 'host-image') {
          kernel = { controller: deps.controller, fingerprint: deps.fingerprint() };
          if (decision.admit) {
            try {
              kernel = { ...kernel, joinCode: await deps.joinCode(decision.mac, address) };
            } catch (err) {
              return unavailable(reply, deps.log, err, 'mint a join code');
            }
          }
        }
        deps.onDecision(decision, address);
        const script = renderIpxeScript(decision, { appliance: deps.applianceUrl, ...(kernel === undefined ? {} : { kernel }) });
        return reply.type(IPXE_TYPE).header('cache-control', 'no-store').send(script);
      },
    );

    app.get<{ Params: { arch: 'x86_64' | 'arm64'; file: 'vmlinuz' | 'initrd.img' } }>(
      '/boot/image/:arch/:file',
      { schema: { params: ImageParams } },
      async (request, reply) => {
        const path = join(deps.imageDir, request.params.arch, request.params.file);
        let size: number;
        try {
          size = statSync(path).size;
        } catch {
          deps.log.error({ path }, 'host image file missing: build it with `make -C image host` and set boot.image_dir');
          return reply.code(404).type(IPXE_TYPE).send(`no ${request.params.arch} host image on this appliance\n`);
        }
        return reply.type('application/octet-stream').header('content-length', size).send(createReadStream(path));
      },
    );
  };
}

/** The controller did not answer: iPXE's `chain ... || exit 1` then leaves for the next boot device, and the machine retries on its next boot. */
function unavailable(reply: FastifyReply, log: Logger, err: unknown, what: string): FastifyReply {
  log.error({ err: describeError(err) }, `boot endpoint could not ${what} with the controller`);
  return reply.code(503).type(IPXE_TYPE).send('the controller is not answering\n');
}
