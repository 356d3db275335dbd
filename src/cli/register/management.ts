import { Option, type Command } from 'commander';
import type { Lazy } from '../main.js';
import { collect, parseDuration, parseInteger } from './parsers.js';

/** The management commands of SPEC §5 over the REST API of SPEC §3 (issue 4). */
export function registerManagement(program: Command, lazy: Lazy): void {
  program
    .command('login')
    .description('save an API key (and URL) as a profile, after checking it with a real call')
    .option('--with-token', 'read the key from stdin (keeps it out of shell history)')
    .addHelpText(
      'after',
      '\nTakes --with-token, else --api-key, else V2K_API_KEY, else asks on a terminal. --api-url and --profile choose where it is saved.',
    )
    .action(lazy(() => import('../commands/login.js')));

  program
    .command('logout')
    .description('forget the saved key of a profile (--profile, V2K_PROFILE or "default")')
    .option('--all', 'forget every saved profile')
    .action(lazy(() => import('../commands/logout.js')));

  const config = program.command('config').description('show and change the saved profiles');
  const configAction = (name: 'get' | 'set' | 'list' | 'path' | 'use', positional: string[] = []) =>
    lazy(() => import('../commands/config.js').then((m) => ({ run: m[name] })), positional);
  config
    .command('get')
    .argument('<key>', 'api-url or api-key (keys are shown masked)')
    .description('print a setting of the profile')
    .action(configAction('get', ['key']));
  config
    .command('set')
    .argument('<key>', 'api-url or api-key')
    .argument('<value>')
    .description('change a setting of the profile (use `login` to check a key before saving it)')
    .action(configAction('set', ['key', 'value']));
  config.command('list').description('every saved profile, keys masked').action(configAction('list'));
  config.command('path').description('where the config file is').action(configAction('path'));
  config
    .command('use')
    .argument('<profile>', 'a saved profile')
    .description('make a profile the default for commands that name none')
    .action(configAction('use', ['profile']));

  program
    .command('create')
    .description('register a webhook; prints its secret once (asks for what is missing on a terminal)')
    .option('--url <url>', 'the https URL that receives the deliveries')
    .option('--events <list>', 'comma-separated event types, or * for all (repeatable)', collect)
    .option('--description <text>', 'a note for people')
    .action(lazy(() => import('../commands/create.js')));

  program
    .command('list')
    .description('your webhooks: id, URL, events, state and last delivery')
    .action(lazy(() => import('../commands/list.js')));

  program
    .command('get')
    .argument('<id>', 'webhook id (wh_…)')
    .description('one webhook with its delivery statistics')
    .action(lazy(() => import('../commands/get.js'), ['id']));

  program
    .command('update')
    .argument('<id>', 'webhook id (wh_…)')
    .description('change a webhook: URL, events, description, enabled')
    .option('--url <url>', 'new receiving URL')
    .option('--events <list>', 'replace the events (comma-separated, or *)', collect)
    .option('--add-event <type>', 'subscribe to one more event (repeatable, or comma-separated)', collect)
    .option('--remove-event <type>', 'unsubscribe from an event (repeatable, or comma-separated)', collect)
    .option('--enable', 'enable it again (also clears its failure count)')
    .option('--disable', 'stop deliveries to it')
    .option('--description <text>', 'new description ("" clears it)')
    .action(lazy(() => import('../commands/update.js'), ['id']));

  program
    .command('delete')
    .argument('<id>', 'webhook id (wh_…)')
    .description('delete a webhook and cancel its pending deliveries (asks first on a terminal)')
    .option('-y, --yes', 'do not ask; required when there is no terminal')
    .action(lazy(() => import('../commands/delete.js'), ['id']));

  program
    .command('test')
    .argument('<id>', 'webhook id (wh_…)')
    .description("send the test event and show the receiver's answer; exit 1 if it failed")
    .option('--no-wait', 'only send it; do not wait for the outcome')
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the outcome')
        .default(30_000, '30s')
        .argParser(parseDuration),
    )
    .action(lazy(() => import('../commands/test.js'), ['id']));

  program
    .command('deliveries')
    .argument('<id>', 'webhook id (wh_…)')
    .argument('[deliveryId]', 'a delivery id (dlv_…), to show its attempts')
    .description("a webhook's deliveries, newest first, or the attempts of one")
    .addOption(
      new Option('--status <status>', 'only deliveries in this state').choices([
        'pending',
        'succeeded',
        'failed',
        'cancelled',
      ]),
    )
    .addOption(new Option('--limit <n>', 'at most this many').argParser(parseInteger))
    .action(lazy(() => import('../commands/deliveries.js'), ['id', 'deliveryId']));

  program
    .command('redeliver')
    .argument('<id>', 'webhook id (wh_…)')
    .argument('<deliveryId>', 'the delivery to send again (dlv_…)')
    .description('send a delivery again, as a new delivery of the same event')
    .action(lazy(() => import('../commands/redeliver.js'), ['id', 'deliveryId']));

  program
    .command('rotate-secret')
    .argument('<id>', 'webhook id (wh_…)')
    .description('replace the signing secret; prints the new one once')
    .action(lazy(() => import('../commands/rotate-secret.js'), ['id']));

  program
    .command('trigger')
    .argument('<event>', 'event type, e.g. trade.completed (see `v2k-webhooks events`)')
    .description("emit events through POST /api/events, from the catalog's sample payload")
    .option(
      '--set <path=value>',
      'change one field of data, e.g. amount=250 or tracks.0.trackId=t_1 (repeatable)',
      collect,
    )
    .option('--data <json|@file>', 'the whole data object, as JSON or @file (@- for stdin)')
    .addOption(new Option('--count <n>', 'emit it this many times').default(1).argParser(parseInteger))
    .action(lazy(() => import('../commands/trigger.js'), ['event']));
}
