// Every option a verb takes is described in its --help (issue 13, item 10: broker-conf's --help left out --port
// and --tls-port), and the main help lists every verb. The help comes from the real CLI; the option lists from
// the table the CLI parses arguments with, so an option added without a word of help fails here.
import t from 'tap';
import { VERBS } from '../../provisioning/verb-table.js';
import { provisionCli } from '../../lab/provision-cli.js';

t.test('each verb describes each of its options; the main help lists each verb', async (t) => {
  const main = (await provisionCli(['--help'])).out;
  for (const [name, verb] of Object.entries(VERBS)) {
    const r = await provisionCli([name, '--help']);
    t.equal(r.code, 0, `${name} --help`);
    t.match(main, new RegExp(`\\n  ${name} +\\S`), `the main help lists ${name}`);
    for (const o of [...verb.options, ...(verb.flags ?? []), 'json']) {
      // `  --name [VALUE]  what it does`, on a line of its own
      t.match(r.out, new RegExp(`\\n  --${o}(?: \\S+)? {2,}\\S`), `${name} --help describes --${o}`);
    }
  }
});
