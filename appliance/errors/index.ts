export { AllianceError, defineErrors, describeError, isAllianceError, listErrorCodes } from './define-errors.ts';
export type { CatalogueEntry, ErrorParams, ErrorSpec, ExitCode } from './define-errors.ts';
