import type { FastifyServerOptions } from 'fastify'

// The servers declare no route schemas: requests are checked by hand or with zod. fastify still loads its default
// schema compilers (ajv and fast-json-stringify, about 100 modules) for every instance unless given its own; these
// load nothing, and refuse a route that declares a schema rather than leave it unchecked (about 4 MiB of RSS in a
// bare process, bench:memory).

// fastify calls a compiler with the route ({ schema, method, url, ... }); its published types say otherwise.
const refuse = (what: string) => (route: unknown): never => {
  const { method, url } = route as { method?: string; url?: string }
  throw new Error(`route ${method} ${url} declares a ${what} schema, which these servers do not compile: check the request in the handler`)
}

/** fastify's `schemaController` option without schema compilers. */
export const noSchemaCompilers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: () => refuse('validation'),
    buildSerializer: () => refuse('response'),
  },
}
