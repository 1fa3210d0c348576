export { dataDirLayout } from './data-dir-layout.ts';
export type { DataDirLayout } from './data-dir-layout.ts';
export { lockDataDir } from './data-dir-lock.ts';
export type { DataDirLock } from './data-dir-lock.ts';
export { dataDirErrors } from './errors.ts';
