// The real OpenAI JS SDK (what OpenClaw uses) against the running bridge with --error-delivery
// chat: a policy denial must read as an ordinary assistant reply carrying our message, both
// streamed and not, with the bridge's marker header for programs that want to tell.
// Usage: NODE_PATH=<node_modules> node openai_chat_error.js <bridge port>
// Prints one JSON object; exits non-zero when the SDK raised instead.
const { OpenAI } = require('openai');

async function main() {
  const port = process.argv[2];
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/engines/v1`, apiKey: 'not-needed',
                              maxRetries: 0, timeout: 20000 });
  const params = { model: 'ai/smollm2', messages: [{ role: 'user', content: 'hi' }] };
  const { data: stream, response } = await client.chat.completions
    .create({ ...params, stream: true, stream_options: { include_usage: true } }).withResponse();
  let streamed = '';
  let finish = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      streamed += c.delta.content || '';
      finish = c.finish_reason || finish;
    }
  }
  const whole = await client.chat.completions.create(params);
  console.log(JSON.stringify({ streamed, finish, marker: response.headers.get('x-model-runner-bridge-error'),
                               whole: whole.choices[0].message.content,
                               whole_finish: whole.choices[0].finish_reason }));
}
main().catch((e) => { console.log(JSON.stringify({ raised: true, message: String(e && e.message) })); process.exit(1); });
