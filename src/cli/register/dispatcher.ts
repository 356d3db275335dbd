import { Option, type Command } from 'commander';
import { DEFAULT_DISPATCHER_PORT } from '../../core/defaults.js';
import { formatDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { parseChaos } from '../../dispatcher/chaos-spec.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_RATE_LIMIT,
  MAX_TIME_SCALE,
  MIN_TIME_SCALE,
  RATE_WINDOW_MS,
} from '../../dispatcher/policy.js';
import type { Lazy } from '../main.js';
import { examples } from './examples.js';
import { collect, numberBetween, parseInteger, parsePort, usageToArgument } from './parsers.js';

/** The offline emulator of the platform (SPEC §3, §4). */
export function registerDispatcher(program: Command, lazy: Lazy): void {
  const dispatcher = program
    .command('dispatcher')
    .summary('the offline emulator of the V2K platform')
    .description(
      'run the offline emulator of the V2K platform: the REST API, signed deliveries with retries, and a monitoring page',
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (0 = any free port)')
        .default(DEFAULT_DISPATCHER_PORT)
        .argParser(parsePort),
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--db <path>', 'SQLite file (created when missing, mode 0600)', './v2k-dispatcher.db')
    .addOption(
      new Option('--time-scale <factor>', 'multiply every delay, timeout and window (0.01 = 100× faster, for CI)')
        .default(1)
        .argParser(numberBetween(MIN_TIME_SCALE, MAX_TIME_SCALE, 'the scaled durations must fit a timer')),
    )
    .addOption(
      new Option(
        '--rate-limit <n>',
        `attempts per webhook per ${formatDuration(RATE_WINDOW_MS)} window (0 = no limit, for load tests)`,
      )
        .default(DEFAULT_RATE_LIMIT)
        .argParser(parseInteger),
    )
    .option(
      '--user-key <KEY:USER>',
      "a user's API key; repeatable (env V2K_DISPATCHER_KEYS=KEY:USER,KEY:USER; default: a dev key for user_dev, kept in the database)",
      collect,
    )
    .option('--user-keys-file <path>', "read users' keys from a file, one KEY:USER a line (keeps them out of `ps`)")
    .addOption(
      new Option(
        '--concurrency <n>',
        'attempts in flight at once, shared by every webhook (a few more kept for idle ones)',
      )
        .default(DEFAULT_CONCURRENCY)
        .argParser(parseInteger),
    )
    .addOption(
      new Option(
        '--chaos <spec>',
        'deliver some events twice, out of order or late, to prove a receiver idempotent: duplicate=P,reorder=P,delay=MIN-MAX (docs/chaos.md)',
      ).argParser(usageToArgument(parseChaos)),
    )
    .addOption(
      new Option(
        '--chaos-seed <n>',
        "seed of --chaos's random draws, to replay a run (default: random, printed)",
      ).argParser(parseInteger),
    )
    .hook('preAction', () => {
      // The global --api-key is the key this CLI calls an API with; it means nothing to the dispatcher,
      // whose users' keys were once given with the same flag (issue 16).
      if (program.opts().apiKey !== undefined)
        throw new UsageError(
          'The dispatcher does not take --api-key: that is the key the CLI calls an API with.',
          "Give the dispatcher's users and keys with --user-key KEY:USER (repeatable), --user-keys-file FILE or V2K_DISPATCHER_KEYS=KEY:USER,KEY:USER.",
        );
    })
    .action(lazy(() => import('../commands/dispatcher.js')));
  examples(
    dispatcher,
    'v2k-webhooks dispatcher',
    'v2k-webhooks dispatcher --port 0 --time-scale 0.01 --user-key ci-key:user_ci',
    'v2k-webhooks dispatcher --chaos duplicate=0.1,reorder=0.2,delay=0-2s',
  );
}
