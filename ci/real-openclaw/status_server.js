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
const message = 'model-runner-bridge: test case ' + what + ' (seconds quota)';

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
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: 'test_case' } }));
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening on 127.0.0.1:' + server.address().port));
