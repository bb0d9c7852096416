// The comparison peer: the Node bridge of Docker's article "Run OpenClaw Securely in Docker
// Sandboxes" (Feb 2026), written here from its published description (docs/reference/external-systems.md §3).
// Kept so that the conformance matrix (`scenario-runner --matrix`) and `bridge-bench` can measure
// model-runner-bridge against what users ran before it, defects included: no timeouts, no error
// handling once the response head is sent, client disconnects not propagated, a bare-text 502.
// Do not fix it; a fixed peer would hide exactly what the comparison shows.
//
// Its relay is the article's: http.createServer, one http.request per request to the proxy with
// the absolute URL as the path and Host set to the target, pipe() both ways, 502 + error text on
// a request error. Only the addresses come from the environment, so tests can use free ports:
//   HTTP_PROXY   the forward proxy (default http://host.docker.internal:3128)
//   BRIDGE_HOST  listen address (default 127.0.0.1);  BRIDGE_PORT  listen port (default 54321)
//   TARGET       the Model Runner as the proxy reaches it (default localhost:12434)
// Once listening it prints one line containing "listening" on stderr.
"use strict";
const http = require("http");

const proxy = new URL(process.env.HTTP_PROXY || "http://host.docker.internal:3128");
const target = process.env.TARGET || "localhost:12434";
const host = process.env.BRIDGE_HOST || "127.0.0.1";
const port = Number(process.env.BRIDGE_PORT || 54321);

const server = http.createServer((req, res) => {
  const upstream = http.request(
    {
      hostname: proxy.hostname,
      port: proxy.port,
      method: req.method,
      path: `http://${target}${req.url}`,
      headers: Object.assign({}, req.headers, { host: target }),
    },
    (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
  upstream.on("error", (err) => {
    res.writeHead(502);
    res.end(err.message);
  });
  req.pipe(upstream);
});

server.listen(port, host, () => {
  console.error(`article bridge listening on ${host}:${port} via ${proxy.host} to http://${target}`);
});
