import { constants as osConstants } from 'node:os'
import { Command, Option } from 'commander'
import { ignoredEnvNames, loadConfig } from '../config/load.js'
import { adapterConfigSchema } from '../config/adapter-config.js'
import { controllerConfigSchema } from '../config/controller-config.js'
import { webhookConfigSchema } from '../config/webhook-config.js'
import type { ZodType } from 'zod'
import { createLogger } from '../telemetry/logger.js'
import { packageVersion } from '../util/paths.js'
import { OUTPUT_FORMATS, type OutputFormat } from '../commands/backtest-output.js'

// Each command's module is loaded when it runs: `kubectl foresight --help` or `explain` then start without loading
// the model runtime and the servers.

// The `foresight` command line, also run as the kubectl plugin `kubectl foresight` (kubectl-foresight on PATH):
// the two entries in cmd/ differ only in the name their help and errors show.

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]
const envHelp = (example: string, reference: string): string =>
  `\nEvery setting can also come from the environment as FORESIGHT_<PATH>, e.g. ${example}.\nSee ${reference}.`

// Until a command has something to close, a signal ends the process at once: Node runs as PID 1 in the image,
// and the kernel drops signals to a PID 1 without a handler, so a pod stopped during start-up (loading the model,
// the first policy list) would sit out its whole grace period. The exit code says it was interrupted (128 + the
// signal's number), also for explain and backtest, which never install a shutdown handler.
const exitDuringStartup = (signal: NodeJS.Signals): void => {
  process.stderr.write(`${signal} received: exiting\n`)
  process.exit(128 + (osConstants.signals[signal] ?? 0))
}

/** Closes the servers on SIGTERM or SIGINT, then exits: 0 when everything closed, 1 when not. */
function onSignal(log: ReturnType<typeof createLogger>, close: () => Promise<void>): void {
  process.removeListener('SIGTERM', exitDuringStartup)
  process.removeListener('SIGINT', exitDuringStartup)
  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down')
    close().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'unclean shutdown')
      process.exit(1)
    })
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

function warnIgnoredEnv(log: ReturnType<typeof createLogger>, schema: ZodType): void {
  const ignored = ignoredEnvNames(schema)
  if (ignored.length > 0) log.warn({ ignored }, 'these FORESIGHT_ environment variables name no setting and are ignored')
}

/** Parses process.argv and runs the command; `name` is how usage and help call the program. */
export function runCli(name: string): void {
  process.once('SIGTERM', exitDuringStartup)
  process.once('SIGINT', exitDuringStartup)

  const program = new Command()
    .name(name)
    .description('Predictive autoscaling and self-healing for Kubernetes')
    .version(packageVersion())
    .showHelpAfterError()
    // `--set key value` is the usual slip: commander then sees a stray argument and says only "too many arguments".
    .configureOutput({
      outputError: (text, write) => write(/too many arguments/.test(text) ? `${text}hint: --set takes one argument, key=value (e.g. --set listen.port=8443)\n` : text),
    })

  program
    .command('adapter')
    .description('Serve ML-predicted metrics as the external.metrics.k8s.io/v1beta1 aggregated API')
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .option('--set <key=value>', 'set one configuration value, e.g. listen.port=8443 (repeatable)', collect, [])
    .addHelpText('after', envHelp('FORESIGHT_LISTEN__PORT=8443', 'the configuration reference in README.md'))
    .action(async (opts: { config?: string; set: string[] }) => {
      const cfg = loadConfig(adapterConfigSchema, { ...(opts.config !== undefined ? { file: opts.config } : {}), set: opts.set })
      const log = createLogger(cfg.logLevel)
      warnIgnoredEnv(log, adapterConfigSchema)
      const { runAdapter } = await import('../commands/adapter.js')
      const adapter = await runAdapter(cfg, log)
      onSignal(log, () => adapter.close())
      await adapter.ready
      const usage = adapter.usage()
      if (usage !== undefined) process.stdout.write(usage)
    })

  program
    .command('controller')
    .description('Run the leader-elected remediation controller: restart outlier pods through the Eviction API, within budgets')
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .option('--set <key=value>', 'set one configuration value, e.g. reconcile.intervalMs=15000 (repeatable)', collect, [])
    .addHelpText('after', envHelp('FORESIGHT_RECONCILE__INTERVAL_MS=15000', 'docs/controller.md'))
    .action(async (opts: { config?: string; set: string[] }) => {
      const cfg = loadConfig(controllerConfigSchema, { ...(opts.config !== undefined ? { file: opts.config } : {}), set: opts.set })
      const log = createLogger(cfg.logLevel)
      warnIgnoredEnv(log, controllerConfigSchema)
      const { startController } = await import('../commands/controller.js')
      const controller = await startController(cfg, log)
      log.info({ metrics: controller.metricsUrl, alerts: controller.alertsUrl }, 'controller started')
      onSignal(log, () => controller.close())
    })

  program
    .command('webhook')
    .description('Serve the admission webhook: validate and default ForesightPolicies, check HPAs that use foresight metrics')
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .option('--set <key=value>', 'set one configuration value, e.g. listen.port=9443 (repeatable)', collect, [])
    .addHelpText('after', envHelp('FORESIGHT_LISTEN__PORT=9443', 'docs/webhook.md'))
    .action(async (opts: { config?: string; set: string[] }) => {
      const cfg = loadConfig(webhookConfigSchema, { ...(opts.config !== undefined ? { file: opts.config } : {}), set: opts.set })
      const log = createLogger(cfg.logLevel)
      warnIgnoredEnv(log, webhookConfigSchema)
      const { startWebhook } = await import('../commands/webhook.js')
      const webhook = await startWebhook(cfg, log)
      log.info({ url: webhook.url }, 'webhook started')
      onSignal(log, () => webhook.close())
    })

  program
    .command('backtest')
    .description('Replay your own Prometheus history through a simulated HPA: reactive, Holt-Winters, FFT and Foresight side by side')
    .requiredOption('--prometheus <url>', 'base URL of Prometheus or a Prometheus-compatible store, with its path prefix (http://mimir/prometheus, http://vmselect:8481/select/0/prometheus)')
    .requiredOption('--policy <file>', 'ForesightPolicy YAML to test')
    .option('--name <policy>', 'which policy of the file, when it holds several: <name> or <namespace>/<name>')
    .option('--since <duration>', 'length of the replayed period, ending now (90m, 36h, 7d, 2w)', '7d')
    .option('--chart <file>', 'where to write the SVG chart (the busiest day goes beside it)', 'backtest.svg')
    .option('-H, --header <header>', "extra request header, 'Name: value', such as 'X-Scope-OrgID: team-a' for a tenant (repeatable)", collect)
    .option('--bearer-token-file <file>', 'bearer token for a secured store')
    .option('--username <user>', 'basic-auth user (with --password-file)')
    .option('--password-file <file>', 'file holding the basic-auth password')
    .option('--ca-file <file>', 'CA bundle of a store served over HTTPS')
    .option('--remediation', 'instead: replay the remediation controller (DryRun) over the policy\'s podSignals history and list the restarts it would have made')
    .option('--outlier-threshold <score>', 'with --remediation: the controller\'s reconcile.outlierThreshold', '0.8')
    .addOption(new Option('-o, --output <format>', 'report format: text, json, or csv (one row per strategy; with --remediation, per restart)').choices(OUTPUT_FORMATS).default('text'))
    .action(async (opts: { prometheus: string; policy: string; name?: string; since: string; chart: string; header?: string[]; bearerTokenFile?: string; username?: string; passwordFile?: string; caFile?: string; remediation?: boolean; outlierThreshold?: string; output: OutputFormat }) => {
      const log = createLogger('error', 'stderr')
      process.stdout.write(opts.remediation === true
        ? await (await import('../commands/backtest-remediation.js')).remediationBacktestCommand(opts, log)
        : await (await import('../commands/backtest.js')).backtestCommand(opts, log))
    })

  program
    .command('explain')
    .description('Show what the running adapter serves for a policy (desired replicas, forecast, observed load, anomaly, reason) and the policy\'s status, read through the aggregated API with your kubeconfig; --local recomputes the derivation step by step instead')
    .argument('<policy>', 'the policy: <name> (in --namespace) or <namespace>/<name>')
    .option('-n, --namespace <namespace>', 'the policy\'s namespace (default: the context\'s, else default)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-o, --output <format>', 'text, json or yaml', 'text')
    .option('--local', 'recompute the policy from its data source here, with the adapter configuration, and show each step (implied by --config and --set)')
    .option('-c, --config <file>', 'with --local: the adapter configuration file (YAML or JSON)')
    .option('--set <key=value>', 'with --local: set one configuration value (repeatable)', collect, [])
    .action(async (target: string, opts: { namespace?: string; kubeconfig?: string; context?: string; output: string; local?: boolean; config?: string; set: string[] }) => {
      const { explainFromCluster, explainPolicy } = await import('../commands/explain.js')
      const local = opts.local === true || opts.config !== undefined || opts.set.length > 0
      if (local && opts.output !== 'text') throw new Error('--local explains in text only: leave out -o')
      const result = local
        ? await explainPolicy(loadConfig(adapterConfigSchema, { ...(opts.config !== undefined ? { file: opts.config } : {}), set: opts.set }), target, createLogger('warn', 'stderr'), opts.namespace)
        : await explainFromCluster(target, opts)
      process.stdout.write(result.text)
      if (!result.served) process.exitCode = 1
    })

  program.parseAsync(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
