import t from 'tap'
import { parsePolicy } from './validate.js'
import type { Policy } from './schema.js'
import { checkPolicy, POLICY_RULES, type PolicyContext } from './rules.js'

type Spec = Record<string, unknown>

function policy(spec: Spec = {}, name = 'web'): Policy {
  const r = parsePolicy({
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ForesightPolicy',
    metadata: { name, namespace: 'shop' },
    spec: { scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(http_requests_total[2m]))', capacityPerReplica: 50 }, maxReplicas: 20, ...spec },
  })
  if (!r.ok) throw new Error(`fixture invalid: ${r.errors.join('; ')}`)
  return r.policy
}

const known: PolicyContext = { others: [], targetExists: true }

t.test('a defaulted policy passes every rule without warnings', async (t) => {
  t.same(checkPolicy(policy(), known), { denials: [], warnings: [] })
})

interface Case { name: string; rule: string; policy: Policy; ctx?: PolicyContext; deny?: RegExp; warn?: RegExp }

const cases: Case[] = [
  { name: 'min > max (bypassing the schema)', rule: 'replicaBounds', policy: { ...policy(), spec: { ...policy().spec, minReplicas: 30 } }, deny: /^spec\.minReplicas: 30 exceeds maxReplicas 20$/ },
  { name: 'min == max', rule: 'replicaBounds', policy: policy({ minReplicas: 20 }) },
  { name: 'bad load query', rule: 'queries', policy: policy({ load: { query: 'sum(rate(x[5m])', capacityPerReplica: 1 } }), deny: /^spec\.load\.query: invalid PromQL: syntax error at line 1/ },
  { name: 'bad pod signal query', rule: 'queries', policy: policy({ podSignals: { latencyQuery: 'histogram_quantile(0.9, x{)' } }), deny: /^spec\.podSignals\.latencyQuery: invalid PromQL/ },
  { name: 'good pod signal queries', rule: 'queries', policy: policy({ podSignals: { errorRatioQuery: 'sum by (pod) (rate(e[5m])) / sum by (pod) (rate(r[5m]))', saturationQuery: 'x' } }) },
  { name: 'horizon of exactly 30 steps', rule: 'horizon', policy: policy({ horizonSeconds: 1800, stepSeconds: 60 }) },
  { name: 'horizon over 30 steps', rule: 'horizon', policy: policy({ horizonSeconds: 1800, stepSeconds: 59 }), deny: /31 steps of 59 s; the model forecasts at most 30 steps \(raise stepSeconds to 60 or lower horizonSeconds to 1770\)/ },
  { name: 'horizon shorter than a step', rule: 'horizon', policy: policy({ horizonSeconds: 60, stepSeconds: 120, historySeconds: 7200 }), deny: /^spec\.horizonSeconds: 60 is shorter than one step \(stepSeconds 120\)$/ },
  { name: 'history of exactly 60 steps', rule: 'history', policy: policy({ stepSeconds: 60, historySeconds: 3600 }) },
  { name: 'history under 60 steps', rule: 'history', policy: policy({ stepSeconds: 120, historySeconds: 3600 }), deny: /^spec\.historySeconds: 3600 is less than the model's 60-step window \(7200 s at stepSeconds 120\)$/ },
  { name: 'maxUnavailable over maxReplicas', rule: 'remediation', policy: policy({ maxReplicas: 3, remediation: { maxUnavailable: 4 } }), deny: /maxUnavailable: 4 exceeds maxReplicas 3/ },
  { name: 'remediation Off skips the budget checks', rule: 'remediation', policy: policy({ remediation: { mode: 'Off', maxRestartsPerHour: 0 } }) },
  { name: 'pod cooldown shorter than workload cooldown', rule: 'remediation', policy: policy({ remediation: { podCooldownSeconds: 60, workloadCooldownSeconds: 600 } }), warn: /pod cooldown never applies/ },
  { name: 'zero restart budget', rule: 'remediation', policy: policy({ remediation: { maxRestartsPerHour: 0 } }), warn: /maxRestartsPerHour is 0, so mode DryRun never restarts a pod/ },
  { name: 'cooldown makes the budget unreachable', rule: 'remediation', policy: policy({ remediation: { workloadCooldownSeconds: 1800, podCooldownSeconds: 1800, maxRestartsPerHour: 5 } }), warn: /allows about 2 restarts per hour, fewer than maxRestartsPerHour 5/ },
  { name: 'sustained shorter than a step', rule: 'remediation', policy: policy({ remediation: { sustainedSeconds: 30 } }), warn: /single outlier sample/ },
  { name: 'Enforce can take every pod at once', rule: 'remediation', policy: policy({ minReplicas: 1, remediation: { mode: 'Enforce' }, podSignals: { latencyQuery: 'x' } }), warn: /at 1 replica\(s\), maxUnavailable 1 can restart every pod at once/ },
  { name: 'Enforce without pod signals', rule: 'remediation', policy: policy({ minReplicas: 3, remediation: { mode: 'Enforce' } }), warn: /mode Enforce has no podSignals queries/ },
  { name: 'bad request count query', rule: 'queries', policy: policy({ podSignals: { errorRatioQuery: 'x', requestsQuery: 'sum by (pod) (increase(r[2m])' } }), deny: /^spec\.podSignals\.requestsQuery: invalid PromQL/ },
  { name: 'request counts without an error ratio', rule: 'remediation', policy: policy({ podSignals: { latencyQuery: 'x', requestsQuery: 'y' } }), warn: /requestsQuery: used only with errorRatioQuery/ },
  { name: 'request counts with an error ratio', rule: 'remediation', policy: policy({ podSignals: { errorRatioQuery: 'x', requestsQuery: 'y' } }) },
  { name: 'Enforce with signals and headroom', rule: 'remediation', policy: policy({ minReplicas: 3, remediation: { mode: 'Enforce' }, podSignals: { latencyQuery: 'x' } }) },
  { name: 'static fallback within bounds', rule: 'fallback', policy: policy({ minReplicas: 2, fallback: { behavior: 'static', replicas: 5 } }) },
  { name: 'static fallback over max', rule: 'fallback', policy: policy({ fallback: { behavior: 'static', replicas: 21 } }), deny: /^spec\.fallback\.replicas: 21 exceeds maxReplicas 20$/ },
  { name: 'static fallback under min', rule: 'fallback', policy: policy({ minReplicas: 3, fallback: { behavior: 'static', replicas: 2 } }), deny: /2 is below minReplicas 3/ },
  { name: 'static fallback without replicas (bypassing the schema)', rule: 'fallback', policy: { ...policy(), spec: { ...policy().spec, fallback: { behavior: 'static', failureThreshold: 3 } } }, deny: /required when fallback.behavior is static/ },
  { name: 'replicas ignored by other behaviours', rule: 'fallback', policy: policy({ fallback: { behavior: 'currentReplicas', replicas: 4 } }), warn: /ignored with behavior currentReplicas/ },
  { name: 'another policy on the same target', rule: 'uniqueTarget', policy: policy(), ctx: { others: [{ name: 'older', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } }] }, deny: /^spec\.scaleTargetRef: Deployment web is already targeted by ForesightPolicy older in namespace shop$/ },
  { name: 'same target through another apps version', rule: 'uniqueTarget', policy: policy(), ctx: { others: [{ name: 'older', target: { apiVersion: 'apps/v1beta2', kind: 'Deployment', name: 'web' } }] }, deny: /already targeted/ },
  { name: 'the policy itself (UPDATE) is no duplicate', rule: 'uniqueTarget', policy: policy(), ctx: { others: [{ name: 'web', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } }] } },
  { name: 'same name, other kind', rule: 'uniqueTarget', policy: policy(), ctx: { others: [{ name: 'db', target: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' } }] } },
  { name: 'policies could not be listed', rule: 'uniqueTarget', policy: policy(), ctx: {}, warn: /could not check whether another ForesightPolicy already targets Deployment web/ },
  { name: 'target missing warns, never denies', rule: 'targetExists', policy: policy(), ctx: { targetExists: false }, warn: /Deployment shop\/web does not exist \(yet\)/ },
  { name: 'target unknown', rule: 'targetExists', policy: policy(), ctx: {}, warn: /could not check whether Deployment shop\/web exists/ },
  { name: 'target present', rule: 'targetExists', policy: policy(), ctx: { targetExists: true } },
]

t.test('rules', async (t) => {
  for (const c of cases) {
    const rule = POLICY_RULES[c.rule]
    if (rule === undefined) throw new Error(`no rule ${c.rule}`)
    const findings = rule(c.policy, c.ctx ?? known)
    const denials = findings.filter((f) => f.level === 'deny').map((f) => f.message)
    const warnings = findings.filter((f) => f.level === 'warn').map((f) => f.message)
    if (c.deny !== undefined) t.match(denials, [c.deny], `${c.name}: denied`)
    else t.same(denials, [], `${c.name}: not denied`)
    if (c.warn !== undefined) t.ok(warnings.some((w) => c.warn?.test(w) === true), `${c.name}: warned (${warnings.join(' | ')})`)
    else if (c.deny === undefined) t.same(warnings, [], `${c.name}: no warning`)
  }
})

t.test('checkPolicy collects every finding', async (t) => {
  const r = checkPolicy(policy({ stepSeconds: 120, horizonSeconds: 60, fallback: { behavior: 'static', replicas: 50 } }), { targetExists: false })
  t.equal(r.denials.length, 3, r.denials.join(' | '))
  t.equal(r.warnings.length, 2, r.warnings.join(' | '))
})
