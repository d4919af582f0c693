// A tiny WHIP endpoint (RFC 9725) for tests, on top of Janus: each POSTed offer becomes a VideoRoom publisher
// through our own Janus client, the answer goes back with 201 and a Location; PATCH with a trickle-ice-sdpfrag
// is an ICE restart (the stored offer with the new credentials, renegotiated with Janus); DELETE leaves.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { JanusSignalling } from '../../agent/media/signalling/janus.js';
import { iceCredentials } from '../../agent/media/signalling/whip.js';

export interface WhipEndpoint {
  url(room: number): string;
  /** Requests seen, e.g. `POST /whip/1234`. */
  readonly requests: string[];
  close(): Promise<void>;
}

interface Res {
  janus: JanusSignalling;
  offer: string;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => resolve(b));
  });
}

export async function startWhipEndpoint(janusUrl: string, token: string): Promise<WhipEndpoint> {
  const resources = new Map<string, Res>();
  const requests: string[] = [];
  let next = 1;
  const server: Server = createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const text = await body(req);
    if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end('bad token');
    try {
      const post = /^\/whip\/(\d+)$/.exec(req.url ?? '');
      if (req.method === 'POST' && post) {
        if (req.headers['content-type'] !== 'application/sdp') return void res.writeHead(415).end();
        const janus = new JanusSignalling({ bridge: janusUrl, room: Number(post[1]), display: 'hall' });
        await janus.connect();
        let answer = '';
        await janus.publish({
          createOffer: async () => text,
          acceptAnswer: async (sdp) => void (answer = sdp),
          answerOffer: async () => '',
        });
        const id = String(next++);
        resources.set(id, { janus, offer: text });
        return void res.writeHead(201, { 'content-type': 'application/sdp', location: `/whip/res/${id}`, etag: `"${id}-1"` }).end(answer);
      }
      const r = /^\/whip\/res\/(\d+)$/.exec(req.url ?? '');
      const found = r ? resources.get(r[1]) : undefined;
      if (!found) return void res.writeHead(404).end();
      if (req.method === 'DELETE') {
        await found.janus.close();
        resources.delete(r![1]);
        return void res.writeHead(200).end();
      }
      if (req.method === 'PATCH' && req.headers['content-type'] === 'application/trickle-ice-sdpfrag') {
        const cred = iceCredentials(text);
        if (!cred) return void res.writeHead(400).end('no credentials');
        found.offer = found.offer.replace(/^a=ice-ufrag:\S+/gm, `a=ice-ufrag:${cred.ufrag}`).replace(/^a=ice-pwd:\S+/gm, `a=ice-pwd:${cred.pwd}`);
        let answer = '';
        await found.janus.republish(
          { createOffer: async () => found.offer, acceptAnswer: async (sdp) => void (answer = sdp), answerOffer: async () => '' },
          { iceRestart: true },
        );
        const a = iceCredentials(answer)!;
        const cands = answer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
        const frag = [`a=ice-ufrag:${a.ufrag}`, `a=ice-pwd:${a.pwd}`, ...cands, ''].join('\r\n');
        return void res.writeHead(200, { 'content-type': 'application/trickle-ice-sdpfrag' }).end(frag);
      }
      res.writeHead(405).end();
    } catch (err) {
      res.writeHead(500).end((err as Error).message);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (room) => `http://127.0.0.1:${port}/whip/${room}`,
    requests,
    async close() {
      for (const r of resources.values()) await r.janus.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
