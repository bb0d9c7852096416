// The real OpenAI JS SDK (what OpenClaw uses) as a client of fake-model-runner.
// Usage: NODE_PATH=<node_modules> node openai_client.js <port>
// Prints one JSON object with what the SDK parsed; exits non-zero on any failure.
const { OpenAI } = require('openai');

async function main() {
  const port = process.argv[2];
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/engines/llama.cpp/v1`, apiKey: 'not-needed',
                              maxRetries: 0, timeout: 20000 });
  const out = {};
  const models = await client.models.list();
  out.models = [];
  for await (const m of models) out.models.push(m.id);

  const done = await client.chat.completions.create({
    model: 'ai/smollm2', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello plain' }],
    max_completion_tokens: 64,
  });
  out.plain = { content: done.choices[0].message.content, finish: done.choices[0].finish_reason,
                total_tokens: done.usage.total_tokens, object: done.object };

  const stream = await client.chat.completions.create({
    model: 'ai/smollm2', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello streamed world' }] }],
    tools: [{ type: 'function', function: { name: 'read', parameters: { type: 'object', properties: {} } } }],
    tool_choice: 'auto',
  });
  let text = '', finish = null, usage = null, chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta && c.delta.content) text += c.delta.content;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  out.streamed = { text, finish, chunks, total_tokens: usage && usage.total_tokens };

  try {
    await client.chat.completions.create({ model: 'ai/nope', messages: [{ role: 'user', content: 'x' }] });
    out.missing = 'no error';
  } catch (e) {
    out.missing = { status: e.status, message: String(e.message) };
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
