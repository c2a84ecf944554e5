import { type Command, InvalidArgumentError } from 'commander';
import { placeCall } from './call.js';
import { issueToken, listDevices } from './users.js';

const integer = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('give a whole number');
  return Number(value);
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A reader that stopped reading (`callpush call bob | head -1`) ends the command, quietly. */
const quietWhenPipeCloses = () => {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
};

/** The options that say which gateway and app a client command acts for. */
function targetOptions(command: Command): Command {
  return command
    .hook('preAction', quietWhenPipeCloses)
    .option('--base-url <url>', 'the gateway (env CALLPUSH_BASE_URL; default: the sandbox, else http://127.0.0.1:8080)')
    .option('--app-key <key>', 'app key (env CALLPUSH_APP_KEY; default: the sandbox app)')
    .option('--app-secret <secret>', 'app secret (env CALLPUSH_APP_SECRET; default: the sandbox app)')
    .option('--data-dir <dir>', 'where sandbox.json is read from (env CALLPUSH_DATA_DIR; default ./.callpush)')
    .addHelpText(
      'after',
      '\nWithout --app-key and --app-secret (or their variables) the command acts as the sandbox app of a\n' +
        '`callpush serve` started with the sandbox (npm start), from the sandbox.json in its data folder.',
    );
}

/** `callpush call`, `token` and `devices`: what an app backend does, from a terminal. */
export function addClientCommands(program: Command): void {
  targetOptions(
    program
      .command('call')
      .description("place a call and print each device's delivery as it happens (Ctrl-C cancels the call)")
      .argument('<user...>', 'the callee user ids')
      .option('--from <user>', 'the caller', 'alice')
      .option('--video', 'a video call')
      .option('--header <key=value>', 'a custom header for the app, repeatable', collect)
      .option('--display-name <name>', 'the caller name the callee sees')
      .option('--ring-timeout <seconds>', 'how long the devices ring (gateway default 30)', integer),
  )
    .addHelpText('after', '\nExample: callpush call bob --from alice --video --header room=r-42')
    .action(placeCall);

  targetOptions(
    program
      .command('token')
      .description('issue a user access token and print it (BOB=$(callpush token bob))')
      .argument('<user>', 'the user id')
      .option('--ttl <seconds>', 'lifetime (default 3600, at most the gateway limit)', integer),
  ).action(issueToken);

  targetOptions(
    program
      .command('devices')
      .description("list a user's devices and their push registrations")
      .argument('<user>', 'the user id')
      .option('--json', 'print the API answer as JSON'),
  ).action(listDevices);
}
