// Drives a running `llava4j serve` through the official openai client and prints what it saw as
// one JSON object; OpenAiClientTest asserts on it. Arguments: baseURL apiKey model pngPath imageURL
import OpenAI from "openai";
import { readFileSync } from "node:fs";

const [baseURL, apiKey, model, pngPath, imageURL] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120000 });
const dataUri = "data:image/png;base64," + readFileSync(pngPath).toString("base64");
const question = "What is in the image?";
const out = {};

function userWith(url, text) {
  return { role: "user", content: [{ type: "image_url", image_url: { url } }, { type: "text", text }] };
}

async function status(call) {
  try {
    await call();
    return { status: 200 };
  } catch (e) {
    return { status: e.status ?? null, type: e.error?.type ?? e.type ?? null, message: e.message };
  }
}

const params = { model, temperature: 0, max_tokens: 12, seed: 7 };

const first = await client.chat.completions.create({ ...params, messages: [userWith(dataUri, question)] });
out.plain = {
  object: first.object,
  content: first.choices[0].message.content,
  role: first.choices[0].message.role,
  finish: first.choices[0].finish_reason,
  usage: first.usage,
  timings: first.timings ?? null,
};

const stream = await client.chat.completions.create({
  ...params,
  messages: [userWith(dataUri, question)],
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let roles = [];
let finish = null;
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  if (choice.delta.role) roles.push(choice.delta.role);
  if (choice.delta.content) text += choice.delta.content;
  if (choice.finish_reason) finish = choice.finish_reason;
}
out.stream = { content: text, roles, finish, usage, chunks };

const url = await client.chat.completions.create({ ...params, messages: [userWith(imageURL, question)] });
out.url = { content: url.choices[0].message.content };

const followUp = await client.chat.completions.create({
  ...params,
  messages: [
    userWith(dataUri, question),
    { role: "assistant", content: first.choices[0].message.content },
    { role: "user", content: "And what colour is it?" },
  ],
});
out.followUp = { content: followUp.choices[0].message.content, timings: followUp.timings ?? null };

out.unknownModel = await status(() =>
  client.chat.completions.create({ ...params, model: "no-such-model", messages: [{ role: "user", content: "hi" }] }));
out.brokenBase64 = await status(() =>
  client.chat.completions.create({ ...params, messages: [userWith("data:image/png;base64,@@@not-base64@@@", "hi")] }));
out.oversized = await status(() =>
  client.chat.completions.create({ ...params, messages: [{ role: "user", content: "x".repeat(3 * 1024 * 1024) }] }));
const stranger = new OpenAI({ baseURL, apiKey: "wrong-key", maxRetries: 0 });
out.wrongKey = await status(() =>
  stranger.chat.completions.create({ ...params, messages: [{ role: "user", content: "hi" }] }));
out.models = (await client.models.list()).data.map((m) => m.id);

console.log(JSON.stringify(out));
