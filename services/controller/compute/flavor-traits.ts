import { computeErrors } from './errors.ts';
import type { ExtraSpecs } from './compute-repository.ts';

const TRAIT_KEY = /^trait:([a-z0-9][a-z0-9:._-]{0,63})$/;

/** Refuses extra specs other than `trait:NAME` = required | forbidden. Pure. */
export function checkExtraSpecs(specs: ExtraSpecs): void {
  for (const [key, value] of Object.entries(specs)) {
    if (!TRAIT_KEY.test(key) || (value !== 'required' && value !== 'forbidden')) throw computeErrors.BAD_EXTRA_SPEC({ key, value });
  }
}

/** The traits a flavor's extra specs require and forbid. Pure. */
export function flavorTraits(specs: ExtraSpecs): { required: string[]; forbidden: string[] } {
  const required: string[] = [];
  const forbidden: string[] = [];
  for (const [key, value] of Object.entries(specs)) {
    const trait = TRAIT_KEY.exec(key)?.[1];
    if (trait === undefined) continue;
    if (value === 'required') required.push(trait);
    else if (value === 'forbidden') forbidden.push(trait);
  }
  return { required: required.sort(), forbidden: forbidden.sort() };
}
