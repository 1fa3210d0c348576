import { Type } from '@sinclair/typebox';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineMethod } from '../../../appliance/bus/index.ts';
import { mergeMethods } from '../../../appliance/serve/bus-service.ts';

const method = (description: string) => defineMethod({ description, params: Type.Object({}), result: Type.Null(), handler: () => null });

test("mergeMethods() serves the services' methods beside the appliance's own", () => {
  const merged = mergeMethods({ 'appliance.status': method('own') }, [{ 'boot.lease': method('boot') }, { 'x.y': method('x') }]);
  assert.equal(Object.keys(merged).sort(), ['appliance.status', 'boot.lease', 'x.y']);
});

test('mergeMethods() refuses a method name served twice', () => {
  assert.throws(() => mergeMethods({ 'appliance.status': method('own') }, [{ 'appliance.status': method('again') }]), /Cannot serve bus method appliance\.status: it is already served/);
  assert.throws(() => mergeMethods({}, [{ 'boot.lease': method('a') }, { 'boot.lease': method('b') }]), /boot\.lease/);
});

test.run();
