"""The training step of TinyGpt's model in PyTorch, for the `train` benchmark to run beside the product.

Same shape as TinyGpt's GptModel (GPT-2: token and position embeddings, pre-LayerNorm blocks with
causal self-attention and a 4x tanh-GELU MLP, biases, final LayerNorm, LM head tied to the token
embedding), the same AdamW (betas 0.9/0.95, weight decay 0.1), gradient clipping at 1.0, random
tokens. Prints one JSON line: {"tokens_per_second": ...}. Written for PyTorch 1.13 (Debian's
python3-torch), which has no scaled_dot_product_attention: attention is the masked softmax nanoGPT
falls back to.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads, context):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)
        self.register_buffer("mask", torch.tril(torch.ones(context, context, dtype=torch.bool)))

    def attention(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
        scores = scores.masked_fill(~self.mask[:t, :t], float("-inf"))
        y = scores.softmax(dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocab, width, layers, heads, context):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList(Block(width, heads, context) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1])
        x = self.wte(tokens) + self.wpe(positions)
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)


def main():
    parser = argparse.ArgumentParser()
    for name, default in [("vocab", 16000), ("width", 512), ("layers", 4), ("heads", 8), ("context", 256), ("batch", 16), ("steps", 10), ("threads", 1)]:
        parser.add_argument("--" + name, type=int, default=default)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Gpt(args.vocab, args.width, args.layers, args.heads, args.context)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    generator = torch.Generator().manual_seed(1)
    seconds = 0.0
    for step in range(-1, args.steps):
        tokens = torch.randint(0, args.vocab, (args.batch, args.context + 1), generator=generator)
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.view(-1, args.vocab), tokens[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss.item()
        if step >= 0:  # step -1 warms up
            seconds += time.perf_counter() - started
    print(json.dumps({"tokens_per_second": args.batch * args.context * args.steps / seconds, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
