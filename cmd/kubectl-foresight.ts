#!/usr/bin/env node
import { runCli } from '../src/cli/program.js'

// kubectl runs an executable named kubectl-foresight on PATH for `kubectl foresight ...`, with the arguments after
// `foresight`; the user's KUBECONFIG and context are the CLI's own defaults.
runCli('kubectl foresight')
