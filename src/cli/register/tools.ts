import { Option, type Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import type { Lazy } from '../main.js';
import { examples } from './examples.js';
import { collect, parseDuration, parseInteger, parsePort, parsePositiveNumber } from './parsers.js';

/** How long `demo`'s flow may take by default. */
const DEMO_TIMEOUT_MS = 30_000;

/** Offline tools: the event catalog, signing and verifying. */
export function registerTools(program: Command, lazy: Lazy): void {
  examples(
    program
      .command('events')
      .argument('[type]', 'an event type, to show its sample payload and required fields')
      .summary('the event catalog and sample payloads')
      .description('List the event catalog, or show one event type with its sample payload.')
      .option('--payload', 'with a type: print only the sample body, as the platform sends it (for sign, curl…)')
      .action(lazy(() => import('../commands/events.js'), ['type'])),
    'v2k-webhooks events',
    'v2k-webhooks events trade.completed',
    'v2k-webhooks events trade.completed --payload > body.json',
  );

  examples(
    program
      .command('sign')
      .summary('sign a payload (X-V2K-Signature)')
      .description('Print the X-V2K-Signature of a payload: hex HMAC-SHA256 of its exact bytes.')
      .option('--secret <secret>', 'webhook secret (env V2K_WEBHOOK_SECRET)')
      .option('--payload <file>', 'file holding the body, or - for stdin (default: stdin when piped)')
      .option('--headers', 'print every delivery header (both signature schemes), not only the signature')
      .addOption(
        new Option('--timestamp <seconds>', 'Unix time for webhook-timestamp (with --headers)').argParser(parseInteger),
      )
      .action(lazy(() => import('../commands/sign.js'))),
    'v2k-webhooks sign --secret "$SECRET" --payload body.json',
    'v2k-webhooks events trade.completed --payload | v2k-webhooks sign --headers',
  );

  examples(
    program
      .command('verify')
      .summary('check a signature against a payload')
      .description('Check a signature against a payload; exit 0 when it matches, 1 with the reason when not.')
      .option('--secret <secret>', 'webhook secret; repeat for rotation (env V2K_WEBHOOK_SECRET)', collect)
      .requiredOption(
        '--signature <sig>',
        'X-V2K-Signature (64 hex) or webhook-signature value (v1,… entries, space-separated)',
      )
      .option('--payload <file>', 'file holding the body, or - for stdin (default: stdin when piped)')
      .option('--id <webhook-id>', 'webhook-id header, for a v1,… signature')
      .addOption(
        new Option('--timestamp <seconds>', 'webhook-timestamp header, for a v1,… signature').argParser(parseInteger),
      )
      .addOption(
        new Option('--tolerance <seconds>', 'allowed timestamp skew, in seconds above 0')
          .default(300)
          .argParser(parsePositiveNumber),
      )
      .action(lazy(() => import('../commands/verify.js'))),
    'v2k-webhooks verify --secret "$SECRET" --signature "$SIG" < body.json',
  );

  // issue 18: a report card for a webhook receiver.
  examples(
    program
      .command('check')
      .argument('<url>', 'the receiver: localhost:3000/webhooks/v2k or https://…')
      .summary('test your receiver with valid, forged, stale and repeated deliveries')
      .description(
        'Test your webhook receiver with valid, forged, stale and repeated deliveries; exit 1 if a check fails.',
      )
      .option('--secret <secret>', 'the secret your receiver verifies with (env V2K_WEBHOOK_SECRET)')
      .option('--events <list>', 'the event types it subscribes to: comma-separated, or * (default: all)', collect)
      .addOption(
        new Option(
          '--timeout <duration>',
          "how long each answer may take (default: the platform's delivery timeout)",
        ).argParser(parseDuration),
      )
      .action(lazy(() => import('../commands/check.js'), ['url'])),
    'v2k-webhooks check localhost:3000/webhooks/v2k --secret "$SECRET"',
    'v2k-webhooks check https://staging.example.com/v2k --events trade.completed',
    'v2k-webhooks --json check localhost:3000/webhooks/v2k | jq -c .',
  );

  examples(
    program
      .command('demo')
      .summary('everything together, offline: see the flow')
      .description(
        'Run a dispatcher, a sample app and a listener together, trigger every event type and show the flow.',
      )
      .option('--keep', 'keep everything running after the flow, until Ctrl+C (to browse the monitoring page)')
      .addOption(new Option('--port <port>', "the dispatcher's port").default(0, 'any free one').argParser(parsePort))
      .addOption(
        new Option('--timeout <duration>', 'how long the flow may take')
          .default(DEMO_TIMEOUT_MS, formatDuration(DEMO_TIMEOUT_MS))
          .argParser(parseDuration),
      )
      .action(lazy(() => import('../commands/demo.js'))),
    'v2k-webhooks demo',
    'v2k-webhooks demo --keep',
  );
}
