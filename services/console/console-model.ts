import { type ManagementNetwork, type SystemSettings } from '../../appliance/contracts/index.ts';
import type { ApplianceStatus } from '../../appliance/serve/index.ts';
import type { Glyphs } from './screen-text.ts';

// What the console knows and shows. update() (console-update.ts) is the only
// thing that makes a new model; the runtime feeds it messages from the
// terminal, the clock and the appliance, and runs the effects it asks for.

/** Why the console cannot show the appliance, and what the operator can check. */
export interface ApplianceDown {
  readonly what: 'not-initialised' | 'data-not-mounted' | 'not-running' | 'not-answering' | 'refused';
  /** The error as the system said it. */
  readonly detail: string;
  /** What a look at the store file found (the console never opens the store itself). */
  readonly store: StoreCheck;
}

export type StoreCheck =
  | { readonly kind: 'missing'; readonly path: string }
  | { readonly kind: 'ok'; readonly path: string }
  | { readonly kind: 'unreadable'; readonly path: string; readonly detail: string };

export type ApplianceView =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'up'; readonly status: ApplianceStatus; readonly at: number }
  | { readonly kind: 'down'; readonly down: ApplianceDown; readonly since: number };

export interface PendingHostView {
  readonly id: string;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly since: string;
  readonly approvedBy: string | null;
}

export interface OverviewView {
  readonly admins: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly pending: readonly PendingHostView[];
  readonly pendingTotal: number;
  readonly joinCode: { readonly tokenId: string; readonly expiresAt: string; readonly uses: number; readonly maxUses: number } | null;
}

export type ControllerView =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'up'; readonly overview: OverviewView }
  | { readonly kind: 'down'; readonly reason: string };

export interface EventView {
  readonly id: number;
  readonly at: string;
  readonly severity: string;
  readonly kind: string;
  readonly message: string;
}

export interface InterfaceView {
  readonly name: string;
  readonly mac: string;
  readonly up: boolean;
  readonly addresses: readonly string[];
}

export type FieldKind = 'text' | 'secret' | 'choice';

export interface FormField {
  readonly key: string;
  readonly label: string;
  readonly kind: FieldKind;
  readonly value: string;
  readonly choices?: readonly string[];
  /** Shown but not editable (static-only fields while DHCP is chosen). */
  readonly disabled?: boolean;
}

export type FormId = 'network' | 'system' | 'admin';

export interface FormState {
  readonly id: FormId;
  readonly title: string;
  readonly intro: readonly string[];
  readonly fields: readonly FormField[];
  readonly focus: number;
  readonly problems: Readonly<Record<string, string>>;
}

export type PowerAction = 'reboot' | 'poweroff';

/** What the console asks its runtime to do; each answers with a message. */
export type Effect =
  | { readonly kind: 'refresh' }
  /** Forget what the terminal shows and draw all of it. */
  | { readonly kind: 'redraw' }
  | { readonly kind: 'decide-host'; readonly hostId: string; readonly name: string; readonly decision: 'approve' | 'reject' }
  | { readonly kind: 'rotate-join-code' }
  | { readonly kind: 'create-admin'; readonly name: string; readonly password: string }
  | { readonly kind: 'load-form'; readonly form: 'network' | 'system'; readonly interfaceName?: string }
  | { readonly kind: 'apply-network'; readonly network: ManagementNetwork }
  | { readonly kind: 'keep-network' }
  | { readonly kind: 'revert-network'; readonly why: string }
  | { readonly kind: 'apply-system'; readonly settings: SystemSettings }
  | { readonly kind: 'diagnose' }
  | { readonly kind: 'open-shell' }
  | { readonly kind: 'power'; readonly action: PowerAction }
  | { readonly kind: 'quit' };

export type Screen =
  | { readonly kind: 'home' }
  /** The chosen host by id: the list reorders under the cursor as hosts come and go. */
  | { readonly kind: 'hosts'; readonly hostId: string | null }
  | { readonly kind: 'join' }
  | { readonly kind: 'power' }
  | { readonly kind: 'form'; readonly form: FormState }
  | { readonly kind: 'confirm'; readonly title: string; readonly lines: readonly string[]; readonly yes: Effect; readonly busy: string; readonly back: Screen }
  | { readonly kind: 'busy'; readonly title: string }
  | { readonly kind: 'keep-network'; readonly detail: string }
  | { readonly kind: 'text'; readonly title: string; readonly lines: readonly string[]; readonly scroll: number; readonly failed: boolean }
  | { readonly kind: 'shell' };

export interface ConsoleOptions {
  readonly glyphs: Glyphs;
  /** Seconds the operator has to keep a changed management network. */
  readonly confirmSeconds: number;
  /** Shown when the appliance is down: where it keeps its data. */
  readonly dataDir: string;
  /** The appliance name from the configuration, until the appliance itself answers. */
  readonly configuredName: string;
}

export interface ConsoleModel {
  readonly options: ConsoleOptions;
  readonly cols: number;
  readonly rows: number;
  /** ms since the epoch, from the last tick: the model never reads the clock. */
  readonly now: number;
  readonly appliance: ApplianceView;
  readonly controller: ControllerView;
  readonly events: readonly EventView[];
  readonly interfaces: readonly InterfaceView[];
  readonly screen: Screen;
  /** A network change applied live and not yet kept: rolled back at the deadline, whatever screen is showing. */
  readonly pendingNetwork: { readonly deadline: number } | null;
  /** The join code just minted: its secret is stored nowhere, so it is shown on the join screen now and forgotten on leaving it. */
  readonly joinCode: { readonly tokenId: string; readonly code: string; readonly expiresAt: string } | null;
}

/** The chosen host's place in the current list; the first when it is gone (enrolled, rejected elsewhere). */
export function chosenHost(pending: readonly PendingHostView[], hostId: string | null): number {
  const at = pending.findIndex((h) => h.id === hostId);
  return at >= 0 ? at : 0;
}

/** Events kept for the home screen; the journal has the rest. */
export const RECENT_EVENTS = 20;

export function initialModel(options: ConsoleOptions, init: { readonly cols: number; readonly rows: number; readonly now: number }): ConsoleModel {
  return {
    options,
    cols: init.cols,
    rows: init.rows,
    now: init.now,
    appliance: { kind: 'connecting' },
    controller: { kind: 'unknown' },
    events: [],
    interfaces: [],
    screen: { kind: 'home' },
    pendingNetwork: null,
    joinCode: null,
  };
}
