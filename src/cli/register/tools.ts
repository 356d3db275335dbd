import { Option, type Command } from 'commander';
import type { Lazy } from '../main.js';
import { examples } from './examples.js';
import { collect, parseDuration, parseInteger } from './parsers.js';

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
      .requiredOption('--signature <sig>', 'X-V2K-Signature (hex) or webhook-signature (v1,…) value')
      .option('--payload <file>', 'file holding the body, or - for stdin (default: stdin when piped)')
      .option('--id <webhook-id>', 'webhook-id header, for a v1,… signature')
      .addOption(
        new Option('--timestamp <seconds>', 'webhook-timestamp header, for a v1,… signature').argParser(parseInteger),
      )
      .addOption(new Option('--tolerance <seconds>', 'allowed timestamp skew').default(300).argParser(parseInteger))
      .action(lazy(() => import('../commands/verify.js'))),
    'v2k-webhooks verify --secret "$SECRET" --signature "$SIG" < body.json',
  );

  examples(
    program
      .command('demo')
      .summary('everything together, offline: see the flow')
      .description(
        'Run a dispatcher, a sample app and a listener together, trigger every event type and show the flow.',
      )
      .option('--keep', 'keep everything running after the flow, until Ctrl+C (to browse the monitoring page)')
      .addOption(
        new Option('--port <port>', "the dispatcher's port (default: any free one)").default(0).argParser(parseInteger),
      )
      .addOption(
        new Option('--timeout <duration>', 'how long the flow may take')
          .default(30_000, '30s')
          .argParser(parseDuration),
      )
      .action(lazy(() => import('../commands/demo.js'))),
    'v2k-webhooks demo',
    'v2k-webhooks demo --keep',
  );
}
