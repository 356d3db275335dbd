import { Option, type Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import type { Lazy } from '../main.js';
import { examples } from './examples.js';
import { collect, parseDuration, parseInteger } from './parsers.js';

/** How long `test` waits for the outcome by default. */
const TEST_WAIT_MS = 30_000;

/** The management commands of SPEC §5 over the REST API of SPEC §3 (issue 4). */
export function registerManagement(program: Command, lazy: Lazy): void {
  examples(
    program
      .command('login')
      .summary('save an API key as a profile, checked first')
      .description(
        'Save an API key (and URL) as a profile, after checking it with a real call. Takes --with-token, else --api-key, else V2K_API_KEY, else asks on a terminal; --api-url and --profile choose where it is saved.',
      )
      .option('--with-token', 'read the key from stdin (keeps it out of shell history)')
      .action(lazy(() => import('../commands/login.js'))),
    'v2k-webhooks login',
    'echo "$KEY" | v2k-webhooks login --with-token --profile local',
  );

  examples(
    program
      .command('logout')
      .summary('forget a saved profile (or all of them)')
      .description(
        'Forget the saved key and URL of a profile (--profile, V2K_PROFILE or the default one), or of every profile with --all.',
      )
      .option('--all', 'forget every saved profile and kept listener secret')
      .action(lazy(() => import('../commands/logout.js'))),
    'v2k-webhooks logout --profile local',
    'v2k-webhooks logout --all',
  );

  const config = examples(
    program
      .command('config')
      .summary('show and change the saved profiles')
      .description(
        'Show and change the saved profiles. A URL given by --api-url or V2K_API_URL uses the key of the profile saved for exactly that URL when no profile is named.',
      ),
    'v2k-webhooks config list',
    'v2k-webhooks config use local',
  );
  const configAction = (name: 'get' | 'set' | 'list' | 'path' | 'use', positional: string[] = []) =>
    lazy(() => import('../commands/config.js').then((m) => ({ run: m[name] })), positional);
  examples(
    config
      .command('get')
      .argument('<key>', 'api-url or api-key (keys are shown masked)')
      .description('print the value in effect, and where it comes from (flag, environment, profile or default)')
      .action(configAction('get', ['key'])),
    'v2k-webhooks config get api-url',
    'v2k-webhooks --profile local config get api-key',
  );
  examples(
    config
      .command('set')
      .argument('<key>', 'api-url or api-key')
      .argument('<value>')
      .description('change a setting of the profile (use `login` to check a key before saving it)')
      .action(configAction('set', ['key', 'value'])),
    'v2k-webhooks config set api-url http://127.0.0.1:4000',
  );
  examples(
    config.command('list').description('every saved profile, keys masked').action(configAction('list')),
    'v2k-webhooks config list --json',
  );
  examples(
    config
      .command('path')
      .description('where the config file is (works even when the file is broken)')
      .action(configAction('path')),
    'cat "$(v2k-webhooks config path)"',
  );
  examples(
    config
      .command('use')
      .argument('<profile>', 'a saved profile ("default" for the built-in one)')
      .description('make a profile the default for commands that name none (as gh auth switch)')
      .action(configAction('use', ['profile'])),
    'v2k-webhooks config use local',
  );

  examples(
    program
      .command('create')
      .summary('register a webhook; prints its secret once')
      .description('Register a webhook and print its secret once. On a terminal, asks for what the flags leave out.')
      .option('--url <url>', 'the URL that receives the deliveries (localhost:3000 means http://localhost:3000/)')
      .option('--events <list>', 'comma-separated event types, or * for all (repeatable)', collect)
      .option('--description <text>', 'a note for people')
      .action(lazy(() => import('../commands/create.js'))),
    'v2k-webhooks create',
    'v2k-webhooks create --url https://example.com/hooks --events trade.completed',
    "v2k-webhooks create --url localhost:3000 --events '*' --json | jq -r .secret",
  );

  examples(
    program
      .command('list')
      .summary('your webhooks, their state and last delivery')
      .description('Your webhooks: id, URL, events, state and last delivery.')
      .action(lazy(() => import('../commands/list.js'))),
    'v2k-webhooks list',
    "v2k-webhooks list --json | jq -r '.[].id'",
  );

  examples(
    program
      .command('get')
      .argument('<id>', 'webhook id (wh_…)')
      .description('one webhook with its delivery statistics')
      .action(lazy(() => import('../commands/get.js'), ['id'])),
    'v2k-webhooks get wh_123',
  );

  examples(
    program
      .command('update')
      .argument('<id>', 'webhook id (wh_…)')
      .summary("change a webhook's URL, events or state")
      .description('Change a webhook: URL, events, description, enabled.')
      .option('--url <url>', 'new receiving URL')
      .option('--events <list>', 'replace the events (comma-separated, or *)', collect)
      .option('--add-event <type>', 'subscribe to one more event (repeatable, or comma-separated)', collect)
      .option('--remove-event <type>', 'unsubscribe from an event (repeatable, or comma-separated)', collect)
      .option('--enable', 'enable it again (also clears its failure count)')
      .option('--disable', 'stop deliveries to it')
      .option('--description <text>', 'new description ("" clears it)')
      .action(lazy(() => import('../commands/update.js'), ['id'])),
    'v2k-webhooks update wh_123 --add-event trade.failed',
    'v2k-webhooks update wh_123 --enable',
  );

  examples(
    program
      .command('delete')
      .argument('<id>', 'webhook id (wh_…)')
      .summary('delete a webhook (asks first on a terminal)')
      .description('Delete a webhook and cancel its pending deliveries. Asks first on a terminal.')
      .option('-y, --yes', 'do not ask; required when there is no terminal')
      .action(lazy(() => import('../commands/delete.js'), ['id'])),
    'v2k-webhooks delete wh_123',
    'v2k-webhooks delete wh_123 --yes',
  );

  examples(
    program
      .command('test')
      .argument('<id>', 'webhook id (wh_…)')
      .summary('send the test event and show the answer')
      .description("Send the test event and show the receiver's answer; exit 1 if it failed.")
      .option('--no-wait', 'only send it; do not wait for the outcome')
      .addOption(
        new Option('--timeout <duration>', 'how long to wait for the outcome')
          .default(TEST_WAIT_MS, formatDuration(TEST_WAIT_MS))
          .argParser(parseDuration),
      )
      .action(lazy(() => import('../commands/test.js'), ['id'])),
    'v2k-webhooks test wh_123',
    'v2k-webhooks test wh_123 --no-wait --json',
  );

  examples(
    program
      .command('deliveries')
      .argument('<id>', 'webhook id (wh_…)')
      .argument('[deliveryId]', 'a delivery id (dlv_…), to show its attempts')
      .summary("a webhook's deliveries, or one's attempts")
      .description("A webhook's deliveries, newest first, or the attempts of one.")
      .addOption(
        new Option('--status <status>', 'only deliveries in this state').choices([
          'pending',
          'succeeded',
          'failed',
          'cancelled',
        ]),
      )
      .addOption(new Option('--limit <n>', 'at most this many').argParser(parseInteger))
      .action(lazy(() => import('../commands/deliveries.js'), ['id', 'deliveryId'])),
    'v2k-webhooks deliveries wh_123 --status failed',
    'v2k-webhooks deliveries wh_123 dlv_456',
  );

  examples(
    program
      .command('redeliver')
      .argument('<id>', 'webhook id (wh_…)')
      .argument('<deliveryId>', 'the delivery to send again (dlv_…)')
      .description('send a delivery again, as a new delivery of the same event')
      .action(lazy(() => import('../commands/redeliver.js'), ['id', 'deliveryId'])),
    'v2k-webhooks redeliver wh_123 dlv_456',
  );

  examples(
    program
      .command('rotate-secret')
      .argument('<id>', 'webhook id (wh_…)')
      .description('replace the signing secret; prints the new one once')
      .action(lazy(() => import('../commands/rotate-secret.js'), ['id'])),
    'v2k-webhooks rotate-secret wh_123',
  );

  examples(
    program
      .command('trigger')
      .argument('<event>', 'event type, e.g. trade.completed (see `v2k-webhooks events`)')
      .summary("emit events from the catalog's samples")
      .description("Emit events through POST /api/events, from the catalog's sample payload.")
      .option(
        '--set <path=value>',
        'change one field of data, e.g. amount=250 or tracks.0.trackId=t_1 (repeatable; the field must exist)',
        collect,
      )
      .option('--data <json|@file>', 'the whole data object, as JSON or @file (@- for stdin)')
      .addOption(new Option('--count <n>', 'emit it this many times').default(1).argParser(parseInteger))
      .action(lazy(() => import('../commands/trigger.js'), ['event'])),
    'v2k-webhooks trigger trade.completed --set amount=250',
    'v2k-webhooks trigger royalty.claimed --data @royalty.json --count 5',
  );
}
