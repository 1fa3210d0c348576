import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quotaExcess } from '../../../../services/controller/compute/quota-check.ts';

const limits = { instances: 3, vcpus: 8, memoryMiB: 8192 };

test('quotaExcess() allows reaching every limit exactly', () => {
  assert.is(quotaExcess({ instances: 2, vcpus: 6, memoryMiB: 6144 }, { instances: 1, vcpus: 2, memoryMiB: 2048 }, limits), undefined);
});

test('quotaExcess() names the first quota one over, with the numbers', () => {
  const cases: Record<string, [Parameters<typeof quotaExcess>[0], Parameters<typeof quotaExcess>[1], ReturnType<typeof quotaExcess>]> = {
    'instances one over': [{ instances: 3, vcpus: 0, memoryMiB: 0 }, { instances: 1, vcpus: 1, memoryMiB: 1 }, { quota: 'instances', used: 3, asked: 1, limit: 3 }],
    'vcpus one over': [{ instances: 0, vcpus: 7, memoryMiB: 0 }, { instances: 1, vcpus: 2, memoryMiB: 1 }, { quota: 'vcpus', used: 7, asked: 2, limit: 8 }],
    'memory one over': [{ instances: 0, vcpus: 0, memoryMiB: 8191 }, { instances: 1, vcpus: 1, memoryMiB: 2 }, { quota: 'memoryMiB', used: 8191, asked: 2, limit: 8192 }],
    'a zero quota': [{ instances: 0, vcpus: 0, memoryMiB: 0 }, { instances: 1, vcpus: 1, memoryMiB: 1 }, { quota: 'instances', used: 0, asked: 1, limit: 0 }],
  };
  for (const [name, [used, asked, expected]] of Object.entries(cases)) {
    assert.equal(quotaExcess(used, asked, name === 'a zero quota' ? { instances: 0, vcpus: 0, memoryMiB: 0 } : limits), expected, name);
  }
});

test.run();
