// Trains Hugging Face byte-level BPE on the given files and prints one JSON line with the training
// time and the token count of each file encoded whole. The Node binding exposes only the default
// trainer (vocab 30,000, no minimum frequency, alphabet = bytes seen), so those are the settings.
// With --check <tokenizer.json> it instead loads that file (TinyGpt's output) and reports the ids'
// count and hash, to show Hugging Face reads TinyGpt's files the same way TinyGpt does.
//
// usage: node train.mjs [--check tokenizer.json] file...
import { readFileSync } from 'node:fs';
import tokenizers from 'tokenizers';

const { Tokenizer, BPE, byteLevelPreTokenizer } = tokenizers;
const args = process.argv.slice(2);
let check = null;
if (args[0] === '--check') {
  check = args[1];
  args.splice(0, 2);
}
if (args.length === 0) {
  console.error('usage: node train.mjs [--check tokenizer.json] file...');
  process.exit(2);
}

let tokenizer;
let seconds = null;
if (check) {
  tokenizer = Tokenizer.fromFile(check);
} else {
  tokenizer = new Tokenizer(BPE.empty());
  // No prefix space, GPT-2 regex: the same pre-tokenization as TinyGpt.
  tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));
  const start = process.hrtime.bigint();
  tokenizer.train(args);
  seconds = Number(process.hrtime.bigint() - start) / 1e9;
}

let tokens = 0;
let hash = 2166136261;
for (const file of args) {
  const encoding = await tokenizer.encode(readFileSync(file, 'utf8'), null, { addSpecialTokens: false });
  for (const id of encoding.getIds()) {
    tokens++;
    hash = Math.imul(hash ^ id, 16777619) >>> 0;
  }
}
console.log(JSON.stringify({ seconds, vocabSize: tokenizer.getVocabSize(), tokens, idsHash: hash }));
