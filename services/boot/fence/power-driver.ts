// What fencing needs from a BMC, whatever speaks to it (ipmitool, Redfish): three
// operations, each answering with an outcome rather than throwing. Drivers map
// their own failures onto the four kinds the fence state machine tells apart.

export type PowerState = 'on' | 'off';

export type PowerOperation = 'power-off' | 'power-on' | 'read-state';

/** timeout: no answer in time; unreachable: no session at all; auth: credentials refused; failed: anything else. */
export type DriverFailureKind = 'timeout' | 'unreachable' | 'auth' | 'failed';

export interface DriverFailure {
  readonly kind: DriverFailureKind;
  /** For logs; never holds a password. */
  readonly message: string;
}

export type DriverOutcome = { readonly ok: true; readonly power?: PowerState } | { readonly ok: false; readonly failure: DriverFailure };

export interface PowerDriver {
  /** Where the BMC is, for messages: `ipmi://10.0.0.9`, `https://bmc1/redfish/v1/Systems/1`; no secret. */
  readonly target: string;
  /** Performs one operation; `read-state` answers with `power`. Honours the signal; never throws. */
  call(operation: PowerOperation, options: { signal: AbortSignal }): Promise<DriverOutcome>;
}
