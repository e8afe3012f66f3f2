import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Evaluation as E, Recommendation as R } from '../../src/tnccs/types';
import { mergeVerdicts, workitemRecommendation, type RecommendationPolicy } from '../../src/policy/merge';

const v = (rec: R, evaluation: E) => ({ rec, evaluation });

const CASES: [RecommendationPolicy, ReturnType<typeof v>[], ReturnType<typeof v>][] = [
  ['default', [], v(R.NO_RECOMMENDATION, E.DONT_KNOW)],
  ['default', [v(R.ALLOW, E.COMPLIANT)], v(R.ALLOW, E.COMPLIANT)],
  ['default', [v(R.ALLOW, E.COMPLIANT), v(R.ISOLATE, E.NONCOMPLIANT_MINOR)], v(R.ISOLATE, E.NONCOMPLIANT_MINOR)],
  ['default', [v(R.NO_ACCESS, E.NONCOMPLIANT_MAJOR), v(R.ISOLATE, E.ERROR)], v(R.NO_ACCESS, E.ERROR)],
  ['default', [v(R.NO_RECOMMENDATION, E.DONT_KNOW), v(R.ALLOW, E.COMPLIANT)], v(R.ALLOW, E.COMPLIANT)],
  ['any', [], v(R.NO_RECOMMENDATION, E.DONT_KNOW)],
  ['any', [v(R.NO_ACCESS, E.NONCOMPLIANT_MAJOR), v(R.ALLOW, E.COMPLIANT)], v(R.ALLOW, E.COMPLIANT)],
  ['any', [v(R.NO_ACCESS, E.ERROR), v(R.ISOLATE, E.NONCOMPLIANT_MINOR)], v(R.ISOLATE, E.NONCOMPLIANT_MINOR)],
  [
    'any',
    [v(R.NO_RECOMMENDATION, E.DONT_KNOW), v(R.NO_ACCESS, E.NONCOMPLIANT_MAJOR)],
    v(R.NO_ACCESS, E.NONCOMPLIANT_MAJOR),
  ],
  ['all', [], v(R.NO_RECOMMENDATION, E.DONT_KNOW)],
  ['all', [v(R.ALLOW, E.COMPLIANT), v(R.ALLOW, E.COMPLIANT)], v(R.ALLOW, E.COMPLIANT)],
  ['all', [v(R.ALLOW, E.COMPLIANT), v(R.ISOLATE, E.NONCOMPLIANT_MINOR)], v(R.NO_RECOMMENDATION, E.DONT_KNOW)],
  ['all', [v(R.ALLOW, E.COMPLIANT), v(R.ALLOW, E.DONT_KNOW)], v(R.ALLOW, E.DONT_KNOW)],
  [
    'all',
    [v(R.NO_ACCESS, E.NONCOMPLIANT_MAJOR), v(R.NO_ACCESS, E.NONCOMPLIANT_MAJOR)],
    v(R.NO_ACCESS, E.NONCOMPLIANT_MAJOR),
  ],
];

for (const [policy, input, expected] of CASES) {
  test(`merge '${policy}' of ${JSON.stringify(input)}`, () => {
    assert.deepEqual(mergeVerdicts(policy, input), expected);
    assert.deepEqual(mergeVerdicts(policy, [...input].reverse()), expected, 'order does not matter');
  });
}

test('workitem final recommendation from its evaluation (strongSwan imv_workitem.c)', () => {
  const table: [E, R][] = [
    [E.COMPLIANT, R.ALLOW],
    [E.NONCOMPLIANT_MINOR, R.ISOLATE],
    [E.NONCOMPLIANT_MAJOR, R.ISOLATE],
    [E.ERROR, R.NO_RECOMMENDATION],
    [E.DONT_KNOW, R.NO_RECOMMENDATION],
  ];
  for (const [evaluation, rec] of table)
    assert.equal(workitemRecommendation(evaluation, R.ISOLATE, R.NO_RECOMMENDATION), rec);
});
