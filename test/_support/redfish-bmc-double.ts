// RedfishBmcDouble: a TEST DOUBLE of a Redfish BMC, since no real one runs
// here (sushy-tools is PyPI-only). It serves just what fencing touches, shaped
// after the DMTF schemas: GET /redfish/v1/Systems/<id> (a ComputerSystem with
// PowerState and its #ComputerSystem.Reset action) and POST
// .../Actions/ComputerSystem.Reset with ResetType On, ForceOff, ForceRestart or
// GracefulShutdown; 409 when already in the asked state, 401 without the
// right basic credentials. HTTPS with a self-signed certificate for 127.0.0.1.
import { readFileSync } from 'node:fs';
import { type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { makeSelfSignedCertificate } from '../../appliance/identity/index.ts';

export interface RedfishExchange {
  readonly method: string;
  readonly path: string;
  readonly authorised: boolean;
  readonly resetType?: string;
  readonly status: number;
}

export interface RedfishBmcDoubleOptions {
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  readonly systemId?: string;
  readonly power?: 'On' | 'Off';
  /** How long ForceOff shows PoweringOff before Off. Default 0. */
  readonly poweringOffMs?: number;
}

export class RedfishBmcDouble {
  readonly systemId: string;
  readonly exchanges: RedfishExchange[] = [];
  /** When true, requests are read but never answered. */
  hang = false;
  power: 'On' | 'Off' | 'PoweringOff';
  readonly #server: Server;
  readonly #options: RedfishBmcDoubleOptions;
  #port = 0;
  #fingerprint = '';
  #certPem = '';

  private constructor(options: RedfishBmcDoubleOptions, tls: { cert: Buffer; key: Buffer }) {
    this.#options = options;
    this.systemId = options.systemId ?? '1';
    this.power = options.power ?? 'Off';
    this.#server = createServer(tls, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => void (body += c.toString()));
      req.on('end', () => this.#answer(req.method ?? '', req.url ?? '', req.headers.authorization, body, res));
    });
  }

  static async start(options: RedfishBmcDoubleOptions): Promise<RedfishBmcDouble> {
    const certPath = join(options.dir, 'bmc.crt');
    const keyPath = join(options.dir, 'bmc.key');
    const facts = await makeSelfSignedCertificate(certPath, keyPath, { commonName: 'bmc-double', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now: new Date(), days: 2 });
    const double = new RedfishBmcDouble(options, { cert: readFileSync(certPath), key: readFileSync(keyPath) });
    await new Promise<void>((resolve) => double.#server.listen(0, '127.0.0.1', resolve));
    const address = double.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the double has no port');
    double.#port = address.port;
    double.#fingerprint = facts.fingerprint;
    double.#certPem = readFileSync(certPath, 'utf8');
    return double;
  }

  get baseUrl(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** SHA-256 of its certificate, `AB:CD:…`. */
  get fingerprint(): string {
    return this.#fingerprint;
  }

  get certificatePem(): string {
    return this.#certPem;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(method: string, path: string, authorization: string | undefined, body: string, res: ServerResponse): void {
    const expected = `Basic ${Buffer.from(`${this.#options.user}:${this.#options.password}`).toString('base64')}`;
    const authorised = authorization === expected;
    let resetType: string | undefined;
    const send = (status: number, json?: unknown): void => {
      this.exchanges.push({ method, path, authorised, status, ...(resetType === undefined ? {} : { resetType }) });
      if (this.hang) return;
      res.writeHead(status, { 'Content-Type': 'application/json', 'OData-Version': '4.0', ...(status === 401 ? { 'WWW-Authenticate': 'Basic realm="Redfish"' } : {}) });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const system = `/redfish/v1/Systems/${this.systemId}`;
    if (!authorised) return send(401, error('Base.1.8.1.InsufficientPrivilege', 'There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.'));
    if (method === 'GET' && path === system) {
      return send(200, {
        '@odata.id': system,
        '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
        'Id': this.systemId,
        'Name': 'Test double system',
        'PowerState': this.power,
        'Actions': { '#ComputerSystem.Reset': { 'target': `${system}/Actions/ComputerSystem.Reset`, 'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'ForceRestart', 'GracefulShutdown'] } },
      });
    }
    if (method === 'POST' && path === `${system}/Actions/ComputerSystem.Reset`) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return send(400, error('Base.1.8.1.MalformedJSON', 'The request body submitted was malformed JSON and could not be parsed by the receiving service.'));
      }
      resetType = typeof parsed === 'object' && parsed !== null ? String((parsed as { ResetType?: unknown }).ResetType) : '';
      const on = this.power !== 'Off';
      switch (resetType) {
        case 'On':
          if (on) return send(409, error('Base.1.8.1.NoOperation', 'The requested operation will not be performed because the system is already on.'));
          this.power = 'On';
          return send(204);
        case 'ForceOff':
        case 'GracefulShutdown':
          if (!on) return send(409, error('Base.1.8.1.NoOperation', 'The requested operation will not be performed because the system is already off.'));
          this.#powerOff();
          return send(204);
        case 'ForceRestart':
          if (!on) return send(409, error('Base.1.8.1.ActionNotSupported', 'The system is off; use On.'));
          return send(204);
        default:
          return send(400, error('Base.1.8.1.ActionParameterValueNotInList', `The value ${resetType} for the parameter ResetType is not in the list of acceptable values.`));
      }
    }
    return send(404, error('Base.1.8.1.ResourceNotFound', `The requested resource of type ${path} was not found.`));
  }

  #powerOff(): void {
    const ms = this.#options.poweringOffMs ?? 0;
    if (ms === 0) {
      this.power = 'Off';
      return;
    }
    this.power = 'PoweringOff';
    setTimeout(() => (this.power = 'Off'), ms).unref();
  }
}

function error(messageId: string, message: string): unknown {
  return { 'error': { 'code': messageId, 'message': message, '@Message.ExtendedInfo': [{ MessageId: messageId, Message: message }] } };
}
