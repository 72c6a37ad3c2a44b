import { z } from 'zod'
import { statusBody, type Status } from '../server/errors.js'

// The AdmissionReview v1 envelope: what the apiserver sends and what it accepts back.

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1'
/** kubectl shows each warning on one line; the apiserver truncates longer ones anyway. */
const MAX_WARNING_CHARS = 256
const MAX_WARNINGS = 20

const headerSchema = z.object({ apiVersion: z.string(), kind: z.string() }).loose()

export const admissionRequestSchema = z.object({
  uid: z.string().min(1),
  kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
  namespace: z.string().optional(),
  name: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  // null on DELETE (object) and CREATE (oldObject).
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
}).loose().superRefine((r, ctx) => {
  const obj = r.object
  if ((r.operation === 'CREATE' || r.operation === 'UPDATE') && (typeof obj !== 'object' || obj === null || Array.isArray(obj))) {
    ctx.addIssue({ code: 'custom', path: ['object'], message: `an object is required for ${r.operation}` })
  }
})

export type AdmissionRequest = z.output<typeof admissionRequestSchema>

export interface AdmissionResponse {
  uid: string
  allowed: boolean
  status?: { code: number; reason: string; message: string }
  warnings?: string[]
  patchType?: 'JSONPatch'
  patch?: string
}

export interface AdmissionReviewReply {
  apiVersion: typeof ADMISSION_API_VERSION
  kind: 'AdmissionReview'
  response: AdmissionResponse
}

type Envelope = { ok: true; request: AdmissionRequest } | { ok: false; status: Status }

/** A malformed review is the caller's bug, not a decision about an object: it gets HTTP 400 and a Status. */
export function parseEnvelope(body: unknown): Envelope {
  const header = headerSchema.safeParse(body)
  if (!header.success) return bad('expected an AdmissionReview object')
  const { apiVersion, kind } = header.data
  if (kind !== 'AdmissionReview') return bad(`expected kind AdmissionReview, got ${JSON.stringify(kind)}`)
  if (apiVersion !== ADMISSION_API_VERSION) {
    return bad(`expected apiVersion ${ADMISSION_API_VERSION}, got ${JSON.stringify(apiVersion)} (set admissionReviewVersions: [v1])`)
  }
  const request = admissionRequestSchema.safeParse((body as { request?: unknown }).request)
  if (request.success) return { ok: true, request: request.data }
  const issue = request.error.issues[0]
  const where = ['request', ...(issue?.path.map(String) ?? [])].join('.')
  const what = issue === undefined ? 'invalid' : issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message
  return bad(`malformed AdmissionReview: ${where}: ${what}`)
}

function bad(message: string): Envelope {
  return { ok: false, status: statusBody(400, message) }
}

export interface Decision {
  allowed: boolean
  status?: { code: number; reason: string; message: string }
  warnings?: readonly string[]
  patch?: readonly unknown[]
}

export function reply(uid: string, d: Decision): AdmissionReviewReply {
  const warnings = (d.warnings ?? []).slice(0, MAX_WARNINGS).map(clip)
  const response: AdmissionResponse = {
    uid,
    allowed: d.allowed,
    ...(d.status !== undefined ? { status: d.status } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(d.patch !== undefined && d.patch.length > 0 ? { patchType: 'JSONPatch' as const, patch: Buffer.from(JSON.stringify(d.patch)).toString('base64') } : {}),
  }
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response }
}

function clip(w: string): string {
  const oneLine = w.replace(/\s+/g, ' ')
  return oneLine.length > MAX_WARNING_CHARS ? `${oneLine.slice(0, MAX_WARNING_CHARS - 1)}…` : oneLine
}
