import { Option, type Command } from 'commander';
import { DEFAULT_EXPECT_TIMEOUT_MS, DEFAULT_FORWARD_TIMEOUT_MS, DEFAULT_LISTEN_PORT } from '../../core/defaults.js';
import { formatDuration } from '../../core/duration.js';
import { ATTEMPT_TIMEOUT_MS } from '../../dispatcher/policy.js';
import type { Lazy } from '../main.js';
import { examples } from './examples.js';
import { collect, parseDuration, parsePort } from './parsers.js';

/** The local relay (`listen`) and the replay of what it recorded (SPEC §5, issue 5). */
export function registerListener(program: Command, lazy: Lazy): void {
  const listen = program
    .command('listen')
    .summary('verify deliveries and forward them to your app')
    .description(
      'Receive deliveries, verify their signatures, print them and forward them to your app. With --register, it keeps one webhook per listener URL: disabled when it stops, enabled again with the same secret by the next run.',
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (0 picks a free one)')
        .default(DEFAULT_LISTEN_PORT)
        .argParser(parsePort),
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--forward <target>',
      'where to forward: localhost:3000, a URL, or pattern=URL (e.g. "trade.*=localhost:3000/trades"); repeatable',
      collect,
    )
    .option('--secret <secret>', 'webhook secret to verify with; repeat for rotation (env V2K_WEBHOOK_SECRET)', collect)
    .option('--register', 'register a webhook for this listener through the API (reused by the next run)')
    .option('--public-url <url>', 'with --register: the URL the platform should deliver to (e.g. a tunnel)')
    .option('--events <list>', 'with --register: comma-separated event types (default: all)')
    .option('--print-secret', 'with --register: print the webhook secret alone on stdout, for scripts')
    // Not --env-file: Node 20 reads that flag anywhere in argv and exits 9 when the file is missing.
    .option('--write-env <file>', 'with --register: set V2K_WEBHOOK_SECRET in this dotenv file for your app (0600)')
    .option('--record <file>', 'append one JSON line per delivery (headers, raw body, verdict) for `replay`')
    .option('--expect <event[:n]>', 'exit 0 once N deliveries of EVENT arrived (verified); repeatable', collect)
    .addOption(
      new Option(
        '--timeout <duration>',
        `stop after this long; with --expect, exit 1 if unmet (default ${formatDuration(DEFAULT_EXPECT_TIMEOUT_MS)} with --expect)`,
      ).argParser(parseDuration),
    )
    .option('--reject-invalid', 'answer 401 and forward nothing when the signature does not verify')
    .addOption(
      new Option(
        '--forward-timeout <duration>',
        `how long the app may take before the sender gets 504 (default ${formatDuration(DEFAULT_FORWARD_TIMEOUT_MS)})`,
      ).argParser(parseDuration),
    )
    .option('--verbose', 'also print each payload as indented JSON')
    .action(lazy(() => import('../commands/listen.js')));
  examples(
    listen,
    'v2k-webhooks listen --register --forward localhost:3000/v2k --write-env .env',
    'v2k-webhooks listen --forward localhost:3000/webhooks/v2k --secret "$SECRET"',
    'v2k-webhooks listen --register --expect trade.completed:2 --timeout 30s',
  );

  const replay = program
    .command('replay')
    .argument('<file>', 'a file written by `listen --record`')
    .description('re-send recorded deliveries to a URL; exit 1 if any answer is not 2xx')
    .requiredOption('--to <url>', 'where to send them: localhost:3000 or a URL')
    .option(
      '--secret <secret>',
      're-sign each delivery with this secret and a fresh timestamp (env V2K_WEBHOOK_SECRET)',
    )
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for each answer')
        .default(ATTEMPT_TIMEOUT_MS, formatDuration(ATTEMPT_TIMEOUT_MS))
        .argParser(parseDuration),
    )
    .action(lazy(() => import('../commands/replay.js'), ['file']));
  examples(replay, 'v2k-webhooks replay deliveries.jsonl --to localhost:3000 --secret "$SECRET"');
}
