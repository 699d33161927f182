// The ceiling for scenario `http-ingest`: a hello-world Hono server on @hono/node-server that reads the body
// and answers a small JSON object, so the HTTP stack's own cost on this machine is measured in the same run.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('*', async (c) => {
  await c.req.arrayBuffer();
  return c.json({ ok: true, seq: 0 });
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`listening on http://127.0.0.1:${info.port}\n`);
});
// Stop accepting and drop the bench's keep-alive connections: with nothing left open the process ends by itself.
process.once('SIGTERM', () => {
  server.close();
  if ('closeAllConnections' in server) server.closeAllConnections();
});
