#!/usr/bin/env node
import { runCli } from '../src/cli/program.js'

runCli('foresight')
