// Filled in by scripts/build.ts (esbuild `define`); under tsx in development
// the fallbacks say so.
declare const __ALLIANCE_BUILD__: { version: string; commit: string; builtAt: string } | undefined;

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
  readonly builtAt: string;
  readonly node: string;
}

export function buildInfo(): BuildInfo {
  const injected = typeof __ALLIANCE_BUILD__ === 'undefined' ? undefined : __ALLIANCE_BUILD__;
  return {
    version: injected?.version ?? '0.0.0-dev',
    commit: injected?.commit ?? 'unknown',
    builtAt: injected?.builtAt ?? 'not built',
    node: process.version,
  };
}
