import { defineErrors } from '../errors/index.ts';

export const configErrors = defineErrors('CONFIG', {
  UNREADABLE: { status: 500, exit: 2, message: 'Cannot read config {path}: {reason}' },
  INVALID: { status: 500, exit: 2, message: 'Invalid config {key} = {value} (from {origin}): {problem}; allowed: {allowed}' },
  UNKNOWN_KEY: { status: 500, exit: 2, message: 'Unknown config key {key} (from {origin}): allowed keys here are {allowed}' },
  BAD_OVERRIDE: { status: 500, exit: 2, message: 'Cannot parse --set {text}: write it as section.key=value, e.g. --set http.port=9443' },
});
