import { defineErrors } from '../errors/index.ts';

export const dataDirErrors = defineErrors('DATADIR', {
  MISSING: { status: 500, exit: 1, message: 'Cannot use data directory {path}: it does not exist; run `alliance init --data-dir {path}` first' },
  NOT_INITIALISED: { status: 500, exit: 1, message: 'Cannot use data directory {path}: {missing} is missing; run `alliance init --data-dir {path}` to create what is missing' },
  LOCKED: { status: 500, exit: 1, message: 'Cannot lock data directory {path}: another alliance process{holder} is using it; stop it or pick another --data-dir' },
  UNUSABLE: { status: 500, exit: 1, message: 'Cannot use data directory {path}: {reason}' },
});
