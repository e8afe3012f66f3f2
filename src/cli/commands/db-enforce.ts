import { InvalidArgumentError, type Command } from 'commander';
import { openPolicyStore, policyDbOptions, type PolicyDbFlags } from '../policy-db';
import { DIR_TYPES, FILE_TYPES, WorkitemType, workitemTypeName } from '../../policy/workitem-types';
import { Recommendation, recommendationName } from '../../tnccs/types';

interface EnforceFlags extends PolicyDbFlags {
  group: string;
  recFail?: Recommendation;
  recNoresult?: Recommendation;
  maxAge: number;
  name?: string;
}

/** strongSwan's policies (strongTNC's default) isolate an endpoint that fails a check. */
const DEFAULT_REC_FAIL = Recommendation.ISOLATE;
const RECOMMENDATIONS = [
  Recommendation.ALLOW,
  Recommendation.NO_ACCESS,
  Recommendation.ISOLATE,
  Recommendation.NO_RECOMMENDATION,
];

/** 'isolate', 'no access' or 'no-access' → the IF-IMV recommendation. */
function parseRecommendation(v: string): Recommendation {
  const r = RECOMMENDATIONS.find((x) => recommendationName(x) === v.replace(/-/g, ' '));
  if (r === undefined)
    throw new InvalidArgumentError(
      `one of ${RECOMMENDATIONS.map((x) => recommendationName(x).replace(' ', '-')).join(', ')}`,
    );
  return r;
}

function parseSeconds(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('seconds, 0 or more');
  return Number(v);
}

/** Workitem types an enforcement can name without a file or directory (those need a files/directories row). */
function parseType(v: string): WorkitemType {
  const t = WorkitemType[v.toUpperCase() as keyof typeof WorkitemType];
  if (t === undefined || FILE_TYPES.has(t) || DIR_TYPES.has(t)) {
    const usable = Object.values(WorkitemType).filter(
      (x): x is WorkitemType => typeof x === 'number' && !FILE_TYPES.has(x) && !DIR_TYPES.has(x),
    );
    throw new InvalidArgumentError(`one of ${usable.map(workitemTypeName).join(', ')}`);
  }
  return t;
}

/** `tnc-agent db enforce TYPE [ARG]`: a policy enforced on a group (src/policy/workitem-types.ts: TPMRA 'BI' = BIOS log and IMA list). */
export function registerEnforce(db: Command): void {
  policyDbOptions(db.command('enforce'))
    .description(
      "enforce a policy on a group of devices, e.g. `enforce TPMRA BI` (attest the boot event log 'B' and the IMA list 'I')",
    )
    .argument('<type>', 'workitem type, e.g. TPMRA, SWIDT, PCKGS', parseType)
    .argument('[argument]', "the policy's argument (TPMRA: B, I or BI)", '')
    .option('--group <name>', 'group the policy is enforced on', 'Default')
    .option(
      '--rec-fail <rec>',
      "recommendation when the check fails: allow, no-access, isolate, no-recommendation (default isolate, as strongSwan's policies)",
      parseRecommendation,
    )
    .option(
      '--rec-noresult <rec>',
      'recommendation when the check gives no result (default no-recommendation)',
      parseRecommendation,
    )
    .option(
      '--max-age <seconds>',
      'skip the check while the device passed it this recently (0: always check)',
      parseSeconds,
      0,
    )
    .option('--name <name>', 'policy name (default "TYPE ARGUMENT")')
    .action(async (type: WorkitemType, argument: string, o: EnforceFlags) => {
      const store = await openPolicyStore(o);
      try {
        const id = await store.addEnforcement(type, argument, {
          group: o.group,
          recFail: o.recFail ?? DEFAULT_REC_FAIL,
          recNoResult: o.recNoresult,
          maxAge: o.maxAge,
          name: o.name,
        });
        console.log(`enforcement ${id}: ${workitemTypeName(type)} '${argument}' on group '${o.group}'`);
      } catch (e) {
        // SQLite's code, PostgreSQL's SQLSTATE unique_violation
        if (!['SQLITE_CONSTRAINT_UNIQUE', '23505'].includes((e as { code?: string }).code ?? '')) throw e;
        throw new Error(
          `${o.name ?? `${workitemTypeName(type)} ${argument}`.trim()} is already enforced on group '${o.group}'`,
          { cause: e },
        );
      } finally {
        await store.close();
      }
    });
}
