// `handover --spread`: each box gets a cluster's nodes in its own order (provisioning/push.ts, nodeOrder). Over a
// country's box ids the first nodes are even, and a node's boxes have the other nodes second, evenly: a dead
// node's halls do not all land on one neighbour.
import t from 'tap';
import { nodeOrder } from '../../provisioning/push.js';
import { boxIdFor } from '../../provisioning/halls.js';
import { syntheticCommuneCode } from '../../provisioning/synthetic.js';

const NODES = ['mqtt://n0:1883', 'mqtt://n1:1883', 'mqtt://n2:1883'];
const ids = Array.from({ length: 10400 }, (_, i) => boxIdFor(syntheticCommuneCode(i)));

t.test('every order is the whole list, and the same box always gets the same order', async (t) => {
  for (const id of ids.slice(0, 500)) t.same([...nodeOrder(id, NODES)].sort(), NODES, `${id}: every node once`);
  t.same(nodeOrder(ids[7], NODES), nodeOrder(ids[7], NODES), 'stable');
  t.same(nodeOrder(ids[7], ['mqtt://only:1883']), ['mqtt://only:1883'], 'one broker: itself');
  const orders = new Set(ids.map((id) => nodeOrder(id, NODES).join()));
  t.equal(orders.size, 6, 'three nodes: all six orders are used');
});

t.test('boxes start evenly, and a dead node spreads its boxes evenly over the others', async (t) => {
  const first = new Map<string, number>();
  const second = new Map<string, number>();
  for (const id of ids) {
    const [a, b] = nodeOrder(id, NODES);
    first.set(a, (first.get(a) ?? 0) + 1);
    if (a === NODES[0]) second.set(b, (second.get(b) ?? 0) + 1);
  }
  for (const n of NODES) t.ok(Math.abs(first.get(n)! - ids.length / 3) < ids.length * 0.03, `${n} is first for ${first.get(n)} of ${ids.length}`);
  const onDead = first.get(NODES[0])!;
  for (const n of NODES.slice(1)) t.ok(Math.abs(second.get(n)! - onDead / 2) < onDead * 0.05, `${second.get(n)} of node 0's ${onDead} boxes go to ${n}`);
});
