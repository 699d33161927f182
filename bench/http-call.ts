// One HTTP/1.1 request on a keep-alive agent, the reply read as text: the HTTP benches' client (node:http, so
// the load generator costs what a plain Node client costs, with no library between).
import { type Agent, request } from 'node:http';

export interface Reply {
  status: number;
  text: string;
}

export function callText(agent: Agent, port: number, method: string, path: string, text = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } }, (res) => {
      let reply = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (reply += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: reply }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}
