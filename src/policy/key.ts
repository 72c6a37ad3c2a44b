// A policy's key on its own, without the policy schema: the engine's thread keys its state by it and would
// otherwise load zod and every schema for one template string (bench:memory, the worker with one policy).

/** `namespace/name`: how the engine, the stores and the API key a policy. */
export function policyKey(p: { metadata: { namespace: string; name: string } }): string {
  return `${p.metadata.namespace}/${p.metadata.name}`
}
