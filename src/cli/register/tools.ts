import { Option, type Command } from 'commander';
import type { Lazy } from '../main.js';
import { collect, parseDuration, parseInteger, parsePositiveNumber } from './parsers.js';

/** Offline tools: the event catalog, signing and verifying. */
export function registerTools(program: Command, lazy: Lazy): void {
  program
    .command('events')
    .argument('[type]', 'an event type, to show its sample payload and required fields')
    .description('list the event catalog, or show one event type with its sample payload')
    .action(lazy(() => import('../commands/events.js'), ['type']));

  program
    .command('sign')
    .description('print the X-V2K-Signature of a payload (hex HMAC-SHA256 of its exact bytes)')
    .option('--secret <secret>', 'webhook secret (env V2K_WEBHOOK_SECRET)')
    .option('--payload <file>', 'file holding the body, or - for stdin (default: stdin when piped)')
    .option('--headers', 'print every delivery header (both signature schemes), not only the signature')
    .addOption(
      new Option('--timestamp <seconds>', 'Unix time for webhook-timestamp (with --headers)').argParser(parseInteger),
    )
    .action(lazy(() => import('../commands/sign.js')));

  program
    .command('verify')
    .description('check a signature against a payload; exit 0 when it matches, 1 with the reason when not')
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
    .action(lazy(() => import('../commands/verify.js')));

  // issue 18: a report card for a webhook receiver.
  program
    .command('check')
    .argument('<url>', 'the receiver: localhost:3000/webhooks/v2k or https://…')
    .description(
      'test your webhook receiver with valid, forged, stale and repeated deliveries; exit 1 if a check fails',
    )
    .option('--secret <secret>', 'the secret your receiver verifies with (env V2K_WEBHOOK_SECRET)')
    .option('--events <list>', 'the event types it subscribes to: comma-separated, or * (default: all)', collect)
    .addOption(
      new Option(
        '--timeout <duration>',
        "how long each answer may take (default: the platform's delivery timeout)",
      ).argParser(parseDuration),
    )
    .action(lazy(() => import('../commands/check.js'), ['url']));

  program
    .command('demo')
    .description('run a dispatcher, a sample app and a listener together, trigger every event type and show the flow')
    .option('--keep', 'keep everything running after the flow, until Ctrl+C (to browse the monitoring page)')
    .addOption(
      new Option('--port <port>', "the dispatcher's port (default: any free one)").default(0).argParser(parseInteger),
    )
    .addOption(
      new Option('--timeout <duration>', 'how long the flow may take').default(30_000, '30s').argParser(parseDuration),
    )
    .action(lazy(() => import('../commands/demo.js')));
}
