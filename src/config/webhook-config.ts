import { existsSync } from 'node:fs'
import { z } from 'zod'
import { isLoopback, shutdownDelaySchema } from './adapter-config.js'

// Configuration of `foresight webhook`, the admission webhook server; loaded with loadConfig like the adapter's.

const MIB = 1024 * 1024

const filePath = (): z.ZodString => z.string().min(1).refine((p) => existsSync(p), { message: 'file not found' })

const webhookListenSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe('Address the webhook HTTPS server listens on'),
  port: z.number().int().min(0).max(65535).default(8443).describe('Webhook HTTPS port (0 picks a free port)'),
})

const webhookTlsSchema = z.strictObject({
  certFile: filePath().optional().describe('Serving certificate (PEM); the apiserver verifies it against the webhook configuration\'s caBundle'),
  keyFile: filePath().optional().describe('Private key of the serving certificate (PEM)'),
  selfSigned: z.boolean().default(false).describe('Serve a generated self-signed certificate instead of files (local runs on loopback only)'),
  reloadIntervalMs: z.number().int().min(100).default(10_000).describe('How often the certificate files are checked for rotation'),
})

const webhookLookupsSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Ask the cluster about other policies and workloads; false reports those checks as skipped'),
  // The manifests give the webhook timeoutSeconds: 5; two lookup rounds must fit well inside it.
  timeoutMs: z.number().int().min(50).max(2_000).default(1_500).describe('Deadline of one cluster lookup; an expired lookup becomes a warning'),
})

export const webhookConfigSchema = z.strictObject({
  listen: webhookListenSchema.prefault({}),
  tls: webhookTlsSchema.prefault({}),
  kubeconfig: filePath().optional().describe('kubeconfig file for the lookups; unset uses the in-cluster service account'),
  lookups: webhookLookupsSchema.prefault({}),
  shutdownDelayMs: shutdownDelaySchema,
  maxBodyBytes: z.number().int().min(64 * 1024).max(16 * MIB).default(MIB).describe('Largest AdmissionReview accepted; larger ones get HTTP 413'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
}).superRefine((cfg, ctx) => {
  const { certFile, keyFile, selfSigned } = cfg.tls
  if ((certFile === undefined) !== (keyFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['tls', certFile === undefined ? 'certFile' : 'keyFile'], message: 'certFile and keyFile must be set together' })
  }
  if (selfSigned && certFile !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'selfSigned'], message: 'selfSigned and certFile exclude each other' })
  }
  if (!selfSigned && certFile === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'certFile'], message: 'required: the apiserver only calls webhooks over verified TLS (set tls.selfSigned=true for a local run)' })
  }
  if (selfSigned && !isLoopback(cfg.listen.host)) {
    ctx.addIssue({ code: 'custom', path: ['listen', 'host'], message: `tls.selfSigned serves loopback addresses only, not ${cfg.listen.host}` })
  }
})

export type WebhookConfig = z.output<typeof webhookConfigSchema>
