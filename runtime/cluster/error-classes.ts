// The error classes a forwarded call's error is rebuilt as, by name: every class rehydra exports,
// so an error raised on the owner is the same class, with the same fields, on every node.
import * as actorErrors from '../../actors/errors.js';
import * as projectionErrors from '../../projections/errors.js';
import * as storageErrors from '../../storage/errors.js';
import * as runtimeErrors from '../errors.js';
import type { ErrorClasses } from './wire-errors.js';

/** rehydra's error classes by class name. */
export const ERROR_CLASSES: ErrorClasses = new Map(
  [actorErrors, projectionErrors, storageErrors, runtimeErrors]
    .flatMap((module) => Object.values(module))
    .filter((value): value is new (...args: never[]) => Error => typeof value === 'function' && value.prototype instanceof Error)
    .map((errorClass) => [errorClass.name, errorClass]),
);
