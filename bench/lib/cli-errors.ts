/**
 * How a bench ends on an error: a mistake in what the user gave it (a bad file, a bad option) is one line on
 * stderr, anything else the whole error for whoever debugs it; the exit code is 1 either way.
 */
import { NabLayoutError } from './nab-corpus.js'
import { TraceFileError } from './user-trace.js'
import { BenchOptionError } from './sources.js'
import { ModelLoadError } from '../../src/model/runtime.js'

function isUserError(err: unknown): boolean {
  if (err instanceof TraceFileError || err instanceof NabLayoutError || err instanceof BenchOptionError || err instanceof ModelLoadError) return true
  // node:util parseArgs: an unknown option, a missing or ambiguous value.
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
}

export function reportBenchError(err: unknown): void {
  if (isUserError(err)) console.error(`error: ${((err as Error).message.split('\n')[0] ?? '').trim()}`)
  else console.error(err)
  process.exitCode = 1
}
