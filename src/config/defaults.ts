// Defaults that code outside the config module uses as plain values. Kept apart from the schemas, so the engine's
// thread can read one without loading zod and the whole configuration schema (bench:memory).

/** Most policies whose load queries are merged into one grouped query, unless source.maxGroupSize says otherwise. */
export const DEFAULT_MAX_GROUP_SIZE = 200
