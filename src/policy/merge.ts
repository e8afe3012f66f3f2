import { Evaluation, Recommendation } from '../tnccs/types';

/** How the verdicts of several workitems or IMVs are combined (strongSwan `tnc-imv.recommendation_policy`). */
export type RecommendationPolicy = 'default' | 'any' | 'all';

export interface Verdict {
  readonly rec: Recommendation;
  readonly evaluation: Evaluation;
}

/** Nothing known yet: the neutral element of every policy. */
export const NO_VERDICT: Verdict = { rec: Recommendation.NO_RECOMMENDATION, evaluation: Evaluation.DONT_KNOW };

// strongSwan's tncif_policy.c (TCG IF-IMV 1.4 TNC_IMV_Action_Recommendation): NO_RECOMMENDATION < ALLOW < ISOLATE < NO_ACCESS
const REC_SEVERITY: readonly Recommendation[] = [
  Recommendation.NO_RECOMMENDATION,
  Recommendation.ALLOW,
  Recommendation.ISOLATE,
  Recommendation.NO_ACCESS,
];
// strongSwan's tncif_policy.c (TCG IF-IMV 1.4 TNC_IMV_Evaluation_Result): DONT_KNOW < COMPLIANT < MINOR < MAJOR < ERROR
const EVAL_SEVERITY: readonly Evaluation[] = [
  Evaluation.DONT_KNOW,
  Evaluation.COMPLIANT,
  Evaluation.NONCOMPLIANT_MINOR,
  Evaluation.NONCOMPLIANT_MAJOR,
  Evaluation.ERROR,
];
// 'any': the most permissive verdict that says something; NO_RECOMMENDATION/DONT_KNOW say nothing
const REC_PERMISSIVENESS: readonly Recommendation[] = [
  Recommendation.NO_RECOMMENDATION,
  Recommendation.NO_ACCESS,
  Recommendation.ISOLATE,
  Recommendation.ALLOW,
];
const EVAL_PERMISSIVENESS: readonly Evaluation[] = [
  Evaluation.DONT_KNOW,
  Evaluation.ERROR,
  Evaluation.NONCOMPLIANT_MAJOR,
  Evaluation.NONCOMPLIANT_MINOR,
  Evaluation.COMPLIANT,
];

function highest<T>(order: readonly T[], values: readonly T[]): T {
  return values.reduce((best, v) => (order.indexOf(v) > order.indexOf(best) ? v : best), order[0]);
}

function unanimous(verdicts: readonly Verdict[]): Verdict {
  const [first] = verdicts;
  if (verdicts.some((v) => v.rec !== first.rec)) return NO_VERDICT;
  const evaluation = verdicts.every((v) => v.evaluation === first.evaluation) ? first.evaluation : Evaluation.DONT_KNOW;
  return { rec: first.rec, evaluation };
}

/**
 * Merges verdicts by policy (strongSwan's tnc_imv_recommendations.c): 'default' = most severe wins, 'any' = most permissive wins,
 * 'all' = any disagreement on the recommendation gives NO_RECOMMENDATION/DONT_KNOW (agreeing recommendations
 * with differing evaluations keep the recommendation, evaluation DONT_KNOW). No verdicts → NO_VERDICT.
 */
export function mergeVerdicts(policy: RecommendationPolicy, verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return NO_VERDICT;
  const recs = verdicts.map((v) => v.rec);
  const evals = verdicts.map((v) => v.evaluation);
  switch (policy) {
    case 'default':
      return { rec: highest(REC_SEVERITY, recs), evaluation: highest(EVAL_SEVERITY, evals) };
    case 'any':
      return { rec: highest(REC_PERMISSIVENESS, recs), evaluation: highest(EVAL_PERMISSIVENESS, evals) };
    case 'all':
      return unanimous(verdicts);
  }
}

/** strongSwan's imv_workitem.c: a workitem's final rec: COMPLIANT → ALLOW, NONCOMPLIANT_* → rec_fail, ERROR/DONT_KNOW → rec_noresult. */
export function workitemRecommendation(
  evaluation: Evaluation,
  recFail: Recommendation,
  recNoResult: Recommendation,
): Recommendation {
  switch (evaluation) {
    case Evaluation.COMPLIANT:
      return Recommendation.ALLOW;
    case Evaluation.NONCOMPLIANT_MINOR:
    case Evaluation.NONCOMPLIANT_MAJOR:
      return recFail;
    case Evaluation.ERROR:
    case Evaluation.DONT_KNOW:
      return recNoResult;
  }
}
