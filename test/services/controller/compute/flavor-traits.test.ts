import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { checkExtraSpecs, flavorTraits } from '../../../../services/controller/compute/flavor-traits.ts';

test('flavorTraits() splits trait extra specs into required and forbidden, sorted', () => {
  assert.equal(flavorTraits({ 'trait:gpu': 'required', 'trait:fc-hba': 'forbidden', 'trait:disk:ssd': 'required' }), { required: ['disk:ssd', 'gpu'], forbidden: ['fc-hba'] });
});

test('checkExtraSpecs() refuses keys other than trait:NAME and values other than required or forbidden', () => {
  checkExtraSpecs({ 'trait:gpu': 'required', 'trait:cpu:virtualization': 'forbidden' });
  const bad: Record<string, string>[] = [{ 'hw:cpu_policy': 'dedicated' }, { 'trait:gpu': 'preferred' }, { 'trait:': 'required' }, { 'trait:GPU': 'required' }];
  for (const specs of bad) {
    try {
      checkExtraSpecs(specs);
      assert.unreachable(JSON.stringify(specs));
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_COMPUTE_BAD_EXTRA_SPEC'), String(err));
    }
  }
});

test.run();
