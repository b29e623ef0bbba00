/** The device models by id. */
import { dsc } from './dsc.ts';
import { dscPlus } from './dscplus.ts';
import type { ModelSpec } from './engine.ts';
import type { ModelId } from './nv.ts';
import { InputError } from '../errors.ts';

export const MODELS: Readonly<Record<ModelId, ModelSpec>> = { dscplus: dscPlus, dsc };

export function modelSpec(id: string): ModelSpec {
  const spec = (MODELS as Record<string, ModelSpec>)[id];
  if (!spec) throw new InputError('model', `model must be dscplus or dsc, got "${id}"`);
  return spec;
}
