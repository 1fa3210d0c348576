import { request } from 'node:http';
import { readAnswer } from '../api/index.ts';
import { cliErrors } from './errors.ts';

export interface ControlAnswer {
  readonly status: number;
  readonly body: unknown;
}

const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** One JSON request to the local control socket. */
export function callControl(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 5000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { socketPath, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}, timeout: timeoutMs },
      (res) => {
        readAnswer(req, res, MAX_ANSWER_BYTES).then((parsed) => resolve({ status: res.statusCode ?? 0, body: parsed }), reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like callControl, but a missing or dead socket becomes APL_CLI_NOT_RUNNING and an error answer APL_CLI_REQUEST_FAILED. */
export async function askAppliance(socketPath: string, dataDir: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<ControlAnswer> {
  let answer: ControlAnswer;
  try {
    answer = await callControl(socketPath, method, path, body);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw cliErrors.NOT_RUNNING({ dataDir, socket: socketPath }, { cause: err });
    throw err;
  }
  if (answer.status >= 400) {
    const error = (answer.body as { error?: { code?: string; message?: string } }).error;
    throw cliErrors.REQUEST_FAILED({ status: answer.status, message: error ? `${error.code}: ${error.message}` : String(answer.body) });
  }
  return answer;
}
