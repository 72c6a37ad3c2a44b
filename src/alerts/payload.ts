import { z } from 'zod'

// Alertmanager's webhook payload, version 4 (the only version it has sent since 0.x). Unknown fields are
// allowed: Alertmanager adds fields over time, and a receiver that broke on them would drop alerts.

const labels = z.record(z.string(), z.string())

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.optional(),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
})

export const webhookPayloadSchema = z.object({
  version: z.literal('4', { message: 'only webhook payload version "4" is understood' }),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: labels.optional(),
  commonLabels: labels.optional(),
  commonAnnotations: labels.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(alertSchema).max(1_000),
})

type Alert = z.output<typeof alertSchema>

/** The labels an alert needs to ask for a pod restart. */
const REQUIRED_LABELS = ['namespace', 'pod', 'foresight_policy'] as const

export interface RestartRequest { namespace: string; policy: string; pod: string; alertname: string; fingerprint: string }

/**
 * The restart a firing alert asks for; for a resolved one, the restart request it withdraws (`resolved: true`);
 * or why it concerns no restart.
 */
export function restartRequestOf(alert: Alert): (RestartRequest & { resolved: boolean }) | { ignored: string } {
  const missing = REQUIRED_LABELS.filter((l) => alert.labels[l] === undefined || alert.labels[l] === '')
  if (missing.length > 0) return { ignored: alert.status === 'resolved' ? 'resolved' : `missing label(s) ${missing.join(', ')}` }
  return {
    resolved: alert.status === 'resolved',
    namespace: alert.labels.namespace as string,
    policy: alert.labels.foresight_policy as string,
    pod: alert.labels.pod as string,
    alertname: alert.labels.alertname ?? '',
    fingerprint: alert.fingerprint ?? '',
  }
}

/** The first problem with a payload, for the 400 answer. */
export function describePayloadError(err: z.ZodError): string {
  const issue = err.issues[0]
  if (issue === undefined) return 'invalid payload'
  const where = issue.path.map(String).join('.')
  return `${where === '' ? 'payload' : where}: ${issue.message}`
}
