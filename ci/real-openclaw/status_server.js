// A capture server for ci/test-real-openclaw.sh: answers every POST as the case says and logs one
// line per request (method, path, time) to LOG. Prints `listening on 127.0.0.1:<port>` when bound.
// Usage: node status_server.js <case> <log file>
//   case: <status>[:<retry-after>]  -> that status with an OpenAI-style JSON error body
//         done_without_finish         -> 200 SSE: one delta, then [DONE], no finish_reason
//         finish_then_open            -> 200 SSE: finish_reason and [DONE], the response left open
//         no_head                     -> never answers
const http = require('http');
const fs = require('fs');
const [what, log] = process.argv.slice(2);
// A message like the bridge's own; 429 gets the words OpenClaw keeps ("seconds", "quota").
const message = process.env.ERROR_MESSAGE ? process.env.ERROR_MESSAGE : what.startsWith('429')
  ? 'model-runner-bridge: rate limited, retry in 20 seconds (quota)'
  : 'model-runner-bridge: the sandbox proxy at 127.0.0.1:3128 blocked the request to localhost:12434 by its ' +
    'network policy. Allow the Model Runner on the host: docker sandbox network proxy <sandbox> --allow-host localhost';

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    fs.appendFileSync(log, JSON.stringify({ t: Date.now(), method: req.method, url: req.url, bytes: body.length }) + '\n');
    const chunk = (delta, finish) => 'data: ' + JSON.stringify({ object: 'chat.completion.chunk', model: 'ai/smollm2',
      choices: [{ index: 0, delta, finish_reason: finish }] }) + '\n\n';
    if (what === 'no_head') return;
    if (what === 'done_without_finish' || what === 'finish_then_open') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: 'Hi' }, null));
      if (what === 'finish_then_open') res.write(chunk({}, 'stop'));
      res.write('data: [DONE]\n\n');
      if (what === 'done_without_finish') res.end();
      return;  // finish_then_open: left open
    }
    const [status, retryAfter] = what.split(':');
    const headers = { 'Content-Type': 'application/json' };
    if (retryAfter) headers['Retry-After'] = retryAfter;
    res.writeHead(Number(status), headers);
    res.end(JSON.stringify({ error: { message, type: process.env.ERROR_TYPE || 'proxy_policy_denied', code: 'test_case' } }));
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening on 127.0.0.1:' + server.address().port));
