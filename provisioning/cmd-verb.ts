// `diemcau-provision cmd TARGET NAME [ARGS-JSON]`: the operator's way to send a command and see each box's answer,
// as the service login, on a broker with the rendered ACL. To one box or `all`: one request per box, its response
// topic under that box's `reply/`. To `group:NAME`: one publish on the group's topic, and each hall of the group
// answers on its own `reply/<name>` with the correlation data (docs/mqtt.md, Commands). Boxes that do not answer
// within --timeout are named, with whether they are connected.
import { Requester, RequestTimeout, type ReplyBody } from './requests.js';
import { withView, onlineCell } from './fleet-verbs.js';
import { parseJson } from '../core/schema/parse.js';
import { BadRequestError, ConfigError } from '../core/errors.js';
import type { Args } from './args.js';
import { table, json } from './output.js';

/** A command's name is one topic level: lower case, digits, dots, dashes (core/commands/define.ts). */
const COMMAND_NAME = /^[a-z0-9][a-z0-9.-]*$/;

function commandArgs(text: string | undefined): object {
  if (text === undefined) return {};
  const v = parseJson(text, 'ARGS-JSON');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError('ARGS-JSON', [`(root): must be a JSON object (got ${text})`]);
  return v;
}

function answerCell(r: ReplyBody, whole: boolean): string {
  const text = r.ok ? JSON.stringify(r.result ?? null) : `${r.error?.code ?? 'error'}: ${r.error?.message ?? ''}`;
  return whole || text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}

export async function cmd(a: Args): Promise<number> {
  if (a.pos.length < 2 || a.pos.length > 3) throw new BadRequestError('expected TARGET NAME [ARGS-JSON] (see --help)');
  const [target, name, argText] = a.pos;
  if (!COMMAND_NAME.test(name)) throw new BadRequestError(`"${name}" is not a command name (lower case letters, digits, dots and dashes, e.g. camera.move)`);
  const args = commandArgs(argText);
  const timeoutS = a.num('timeout', 10);
  if (timeoutS <= 0) throw new BadRequestError(`option --timeout: ${timeoutS} is not a positive number of seconds`);
  return withView(a, 'cmd', target, async (view, _s, targets) => {
    const requester = new Requester(view.mqtt);
    await requester.start();
    let answers: Map<string, ReplyBody>;
    let missing: string[];
    try {
      if (target.startsWith('group:')) {
        ({ answers, missing } = await requester.requestGroup(target.slice('group:'.length), name, args, targets, timeoutS * 1000));
      } else {
        answers = new Map();
        missing = [];
        await Promise.all(
          targets.map((b) =>
            requester.request(b, name, args, timeoutS * 1000).then(
              (r) => void answers.set(b, r),
              (err) => {
                if (!(err instanceof RequestTimeout)) throw err;
                missing.push(b);
              },
            ),
          ),
        );
        missing.sort();
      }
      await view.settle(100, 1000); // presence, to tell a box that is not connected from one that did not answer
    } finally {
      await requester.stop();
    }
    const answered = [...answers].sort(([x], [y]) => x.localeCompare(y));
    const okCount = answered.filter(([, r]) => r.ok).length;
    const online = (b: string) => view.boxes.get(b)?.online ?? null;
    if (missing.length > 0) {
      const shown = missing.slice(0, 20).map((b) => (online(b) === true ? b : `${b} (${online(b) === null ? 'never seen' : 'offline'})`));
      const more = missing.length > 20 ? ` and ${missing.length - 20} more` : '';
      process.stderr.write(`diemcau-provision cmd: no answer within ${timeoutS} s from ${missing.length} of ${targets.length} box(es): ${shown.join(', ')}${more}\n`);
    }
    if (a.has('json')) {
      json({
        target,
        command: name,
        args,
        boxes: targets.length,
        answered: answered.length,
        ok: okCount,
        answers: answered.map(([box, r]) => ({ box, ...r })),
        noAnswer: missing.map((box) => ({ box, online: online(box) })),
      });
    } else {
      const whole = targets.length === 1;
      table([
        ...answered.map(([box, r]) => ({ box, ok: r.ok ? 'yes' : 'no', ms: r.ms ?? '', answer: answerCell(r, whole) })),
        ...missing.map((box) => ({ box, ok: '-', ms: '', answer: `no answer (connected: ${onlineCell(online(box))})` })),
      ]);
    }
    return targets.every((b) => answers.get(b)?.ok === true) ? 0 : 1;
  });
}
