// The real OpenAI JS SDK (what OpenClaw uses) against the running bridge: the bridge's own error
// answer must be read as an APIError carrying our status and our message.
// Usage: NODE_PATH=<node_modules> node openai_error_shape.js <bridge port>
// Prints one JSON object; exits non-zero when the SDK did not raise an APIError.
const { OpenAI, APIError } = require('openai');

async function main() {
  const port = process.argv[2];
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/engines/v1`, apiKey: 'not-needed',
                              maxRetries: 0, timeout: 20000 });
  try {
    const stream = await client.chat.completions.create({
      model: 'ai/smollm2', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const _ of stream) { /* not reached when the bridge refuses */ }
    console.log(JSON.stringify({ raised: false }));
    process.exit(1);
  } catch (e) {
    console.log(JSON.stringify({ raised: true, api_error: e instanceof APIError, status: e.status,
                                 message: e.message, type: e.type, code: e.code,
                                 error_message: e.error && e.error.message }));
    process.exit(e instanceof APIError ? 0 : 1);
  }
}
main().catch((e) => { console.error(e); process.exit(2); });
