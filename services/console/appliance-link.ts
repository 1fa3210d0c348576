import { existsSync, readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { BusClient, EventSubscriber } from '../../appliance/bus/index.ts';
import { callControl } from '../../appliance/cli/index.ts';
import { CONSOLE_METHODS, type ConsoleOverviewResult } from '../../appliance/contracts/index.ts';
import type { DataDirLayout } from '../../appliance/data-dir/index.ts';
import { ApplianceStatusSchema, EventSchema } from '../../appliance/serve/index.ts';
import type { ApplianceDown, ApplianceView, ControllerView, EventView } from './console-model.ts';
import { checkStoreFile } from './local-facts.ts';

// The console's only way to the appliance: its control socket for status and
// the journal, its local bus for the controller, its event socket for live
// changes. Every call has a deadline; none of them throws at the caller
// except call(), whose errors the console shows.

const STATUS_TIMEOUT_MS = 3000;
const CALL_TIMEOUT_MS = 8000;

/** Topics that change what the home screen shows. */
export const FOLLOWED_TOPICS = ['journal.', 'service.state', 'hosts.state'] as const;

export class ApplianceLink {
  readonly #layout: DataDirLayout;
  #bus: Promise<BusClient> | undefined;
  #events: EventSubscriber | undefined;
  #closed = false;

  constructor(layout: DataDirLayout) {
    this.#layout = layout;
  }

  async status(now: number): Promise<ApplianceView> {
    const socket = this.#layout.controlSocket;
    const down = (what: ApplianceDown['what'], detail: string): ApplianceView => ({
      kind: 'down',
      since: now,
      down: { what, detail, store: checkStoreFile(this.#layout.storeFile) },
    });
    if (!existsSync(socket)) {
      if (existsSync(this.#layout.storeFile)) return down('not-running', `Nothing listens on ${socket}.`);
      // No store where fstab says a partition belongs: the data disk is missing, not new.
      if (expectsMount(this.#layout.root)) return down('data-not-mounted', `There is no store at ${this.#layout.storeFile}.`);
      return down('not-initialised', `There is no store at ${this.#layout.storeFile}.`);
    }
    try {
      const answer = await callControl(socket, 'GET', '/v1/status', undefined, STATUS_TIMEOUT_MS);
      if (answer.status !== 200) return down('refused', `The control socket answered ${answer.status}.`);
      // Checked, not trusted: an appliance of another version may answer in another shape.
      if (!Value.Check(ApplianceStatusSchema, answer.body)) return down('refused', `The control socket's status is not of the shape this console knows (another version of alliance?).`);
      return { kind: 'up', status: answer.body, at: now };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') return down('not-running', `${socket} is left from an appliance that stopped (${code}).`);
      return down('not-answering', `No answer on ${socket} within ${STATUS_TIMEOUT_MS / 1000} s: ${(err as Error).message}.`);
    }
  }

  async overview(): Promise<ControllerView> {
    try {
      const o = await this.call<ConsoleOverviewResult>(CONSOLE_METHODS.overview, {}, 4000);
      return { kind: 'up', overview: { admins: o.admins, counts: o.hosts.counts, pending: o.hosts.pending, pendingTotal: o.hosts.pendingTotal, joinCode: o.joinCode } };
    } catch (err) {
      return { kind: 'down', reason: (err as Error).message.replace(/\.$/, '') };
    }
  }

  /** The newest events first. */
  async recentEvents(limit: number): Promise<EventView[]> {
    try {
      const answer = await callControl(this.#layout.controlSocket, 'GET', `/v1/events?limit=${limit}`, undefined, STATUS_TIMEOUT_MS);
      const events = (answer.body as { events?: unknown }).events;
      if (answer.status !== 200 || !Array.isArray(events)) return [];
      return events.filter((e) => Value.Check(EventSchema, e)).map(toEventView);
    } catch {
      return [];
    }
  }

  /** A method on the appliance's local bus; rejects with the appliance's own coded error. */
  async call<R>(method: string, params: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<R> {
    // The promise, not the client, is kept: two first calls at once share one socket.
    this.#bus ??= BusClient.connect(`ipc://${this.#layout.busSocket}`, { timeoutMs });
    return (await this.#bus).call<R>(method, params, { timeoutMs });
  }

  /**
   * Calls `onEvent` for each event on the followed topics until close(). The
   * subscription redials by itself when the appliance restarts; journal events become EventViews.
   */
  async follow(onEvent: (topic: string, event: EventView | null) => void): Promise<void> {
    this.#events = await EventSubscriber.connect(`ipc://${this.#layout.eventsSocket}`, FOLLOWED_TOPICS);
    if (this.#closed) this.#events.close();
    try {
      for await (const envelope of this.#events) {
        onEvent(envelope.topic, envelope.topic.startsWith('journal.') && isJournalEvent(envelope.body) ? toEventView(envelope.body) : null);
      }
    } catch (err) {
      if (!this.#closed) throw err;
    }
  }

  close(): void {
    this.#closed = true;
    void this.#bus?.then((bus) => bus.close(), () => undefined);
    this.#events?.close();
  }
}

function isJournalEvent(body: unknown): body is EventView {
  const e = body as Partial<EventView> | null;
  return typeof e === 'object' && e !== null && typeof e.id === 'number' && typeof e.at === 'string' && typeof e.message === 'string' && typeof e.kind === 'string' && typeof e.severity === 'string';
}

function toEventView(e: EventView): EventView {
  return { id: e.id, at: e.at, severity: e.severity, kind: e.kind, message: e.message };
}

/** Whether /etc/fstab mounts something on `dir` that is not mounted now. */
function expectsMount(dir: string): boolean {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const listed = read('/etc/fstab').split('\n').some((l) => !l.trim().startsWith('#') && l.trim().split(/\s+/)[1] === dir);
  const mounted = read('/proc/self/mountinfo').split('\n').some((l) => l.split(' ')[4] === dir);
  return listed && !mounted;
}
