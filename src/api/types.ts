import { z } from 'zod'

// Wire types of external.metrics.k8s.io/v1beta1, defined once: handlers build them and /openapi describes them.
export const GROUP = 'external.metrics.k8s.io'
export const VERSION = 'v1beta1'
export const GROUP_VERSION = `${GROUP}/${VERSION}`
export const API_PREFIX = `/apis/${GROUP_VERSION}`

export const externalMetricValueSchema = z.object({
  metricName: z.string().describe('the name of the metric'),
  metricLabels: z.record(z.string(), z.string()).describe('a set of labels that identify a single time series for the metric'),
  timestamp: z.string().describe('indicates the time at which the metrics were produced (RFC 3339)'),
  window: z.number().int().optional().describe('indicates the window ([Timestamp-Window, Timestamp]) from which these metrics were calculated, in seconds'),
  value: z.string().describe('the value of the metric, as a Kubernetes Quantity'),
}).describe('ExternalMetricValue is a metric value for an external metric')

export const externalMetricValueListSchema = z.object({
  kind: z.literal('ExternalMetricValueList'),
  apiVersion: z.literal(GROUP_VERSION),
  metadata: z.object({}).describe('standard list metadata'),
  items: z.array(externalMetricValueSchema).describe('value of the metric matching a given set of labels'),
}).describe('ExternalMetricValueList is a list of values for a given metric for some set of labels')

export const statusSchema = z.object({
  kind: z.literal('Status'),
  apiVersion: z.literal('v1'),
  metadata: z.object({}),
  status: z.literal('Failure'),
  message: z.string(),
  reason: z.string(),
  code: z.number().int(),
}).describe('Status is the return value for calls that do not return other objects')

export type ExternalMetricValue = z.infer<typeof externalMetricValueSchema>
export type ExternalMetricValueList = z.infer<typeof externalMetricValueListSchema>
