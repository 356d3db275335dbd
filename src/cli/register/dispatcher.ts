import { Option, type Command } from 'commander';
import type { Lazy } from '../main.js';
import { DEFAULT_CONCURRENCY, DEFAULT_RATE_LIMIT, RATE_WINDOW_MS } from '../../dispatcher/policy.js';
import { parseInteger, parsePositiveNumber } from './parsers.js';

/** The offline emulator of the platform (SPEC §3, §4). */
export function registerDispatcher(program: Command, lazy: Lazy): void {
  // `--api-key` is also a global option, and commander hands every occurrence to the program
  // (the last one wins). The dispatcher takes it repeatedly as KEY:USER, so collect them all here.
  const apiKeys: string[] = [];
  program.on('option:api-key', (value: string) => apiKeys.push(value));

  program
    .command('dispatcher')
    .description(
      'run the offline emulator of the V2K platform: the REST API, signed deliveries with retries, and a monitoring page',
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (0 = any free port)').default(4000).argParser(parseInteger),
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--db <path>', 'SQLite file (created when missing)', './v2k-dispatcher.db')
    .addOption(
      new Option('--time-scale <factor>', 'multiply every delay, timeout and window (0.01 = 100× faster, for CI)')
        .default(1)
        .argParser(parsePositiveNumber),
    )
    .addOption(
      new Option(
        '--rate-limit <n>',
        `attempts per webhook per ${RATE_WINDOW_MS / 1000} s window (0 = no limit, for load tests)`,
      )
        .default(DEFAULT_RATE_LIMIT)
        .argParser(parseInteger),
    )
    .option(
      '--api-key <KEY:USER>',
      'an API key and its user; repeatable (default: a dev key for user_dev, made once and kept in the database)',
    )
    .addOption(
      new Option(
        '--concurrency <n>',
        'attempts in flight at once, shared by every webhook (a few more kept for idle ones)',
      )
        .default(DEFAULT_CONCURRENCY)
        .argParser(parseInteger),
    )
    .hook('preAction', (command) => {
      command.setOptionValue('apiKeys', [...apiKeys]);
    })
    .action(lazy(() => import('../commands/dispatcher.js')));
}
