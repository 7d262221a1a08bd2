import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricTarget } from './autoscale.ts';

describe('kubectl autoscale targets', () => {
  it('reads percentages as utilization, bare numbers with the default unit, quantities as average values', () => {
    assert.deepEqual(metricTarget('70%', 'cpu'), { type: 'Utilization', averageUtilization: 70 });
    assert.deepEqual(metricTarget('500', 'cpu'), { type: 'AverageValue', averageValue: '500m' });
    assert.deepEqual(metricTarget('200', 'memory'), { type: 'AverageValue', averageValue: '200Mi' });
    assert.deepEqual(metricTarget('1Gi', 'memory'), { type: 'AverageValue', averageValue: '1Gi' });
    assert.throws(() => metricTarget('x%', 'cpu'), { message: 'invalid percentage value: x' });
    assert.throws(() => metricTarget('lots', 'cpu'), { message: 'invalid resource cpu value: lots' });
  });
});
