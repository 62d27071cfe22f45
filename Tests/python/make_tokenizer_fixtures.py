#!/usr/bin/env python3
"""Makes the tokenizer parity fixtures with the reference `tokenizers` package.

Generates Tests/TokenizersTests/Fixtures/tokenizer.json (a byte-level BPE with 1,024 ids trained
on the first 300,000 characters of Tiny Shakespeare and the first 1,500 records of Dolly's train
split) and Tests/TokenizersTests/Fixtures/expected.json (a few hundred varied strings, among them
the instructions and outputs of the first 80 Dolly validation records, with the ids `tokenizers`
gives them). A generator, run by hand; the tests only read its output. It needs the full data, not the excerpts in
Tests/Fixtures/text: DATA is a folder holding pretrain/tinyshakespeare.txt,
dolly/dolly_train.jsonl and dolly/dolly_valid.jsonl (their sources are in
Tests/Fixtures/text/README.md). Run from anywhere:
    pip install tokenizers && python3 Tests/python/make_tokenizer_fixtures.py DATA
"""
import argparse
import json
import os
import random

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "TokenizersTests", "Fixtures")


def corpus(data):
    with open(os.path.join(data, "pretrain", "tinyshakespeare.txt"), encoding="utf-8") as f:
        texts = [f.read(300_000)]
    with open(os.path.join(data, "dolly", "dolly_train.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 1500:
                break
            record = json.loads(line)
            texts.append(record["instruction"] + "\n" + record["input"] + "\n" + record["output"])
    return texts


def edge_cases():
    return [
        "", " ", "  ", "a", "Hello world", " Hello  world ", "Hello\n\nworld\n", "\t\tindented\tline",
        "it's they're we've I'm you'll he'd don't", "IT'S SHOUTING'S", "'s's'''", "rock'n'roll",
        "1234567890 3.14159 1e-9 -42", "x=y+z*(a/b)", "email@example.com http://x.y/z?q=1&r=2",
        "naïve café résumé coöperate", "Ελληνικά κείμενα", "Русский текст", "עברית", "العربية",
        "中文文本测试", "日本語のテキスト", "한국어 텍스트", "🙂🚀👍🏽👨‍👩‍👧‍👦", "🇫🇷 flags 🇯🇵",
        "e\u0301 combining\u0308", "zero\u200bwidth\u200djoiner", "\u00a0non-breaking\u00a0space",
        "\u3000ideographic space", "line\u2028separator", "\x00\x01\x02 control \x1f\x7f",
        "\r\nwindows\r\nlines", "tab\tand\vvertical\ftab", "\ufffd replacement \ufffd",
        "<|endoftext|>", "before<|endoftext|>after", "a <|endoftext|> b <|pad|>c",
        "<|endoftext|><|endoftext|>", "<|endoftext", "endoftext|>", "    four leading spaces",
        "trailing spaces    ", "mixed \t \n whitespace", "ALLCAPS lowercase MiXeD", "snake_case kebab-case",
        "¡¿Qué?!", "“smart quotes” ‘single’", "em—dash en–dash", "…ellipsis", "½ ¼ ² ³ Ⅻ", "٣٤٥ ०१२",
        "$100.00 €50 £20 ¥1000", "#hashtag @mention", "C++ C# F#", "a\nb\nc\n\n\nd",
        "ＦＵＬＬ ｗｉｄｔｈ", "𝔣𝔯𝔞𝔨𝔱𝔲𝔯 𝟙𝟚𝟛", "emoji🙂inside🙂words", "1,000,000 and 1.000.000",
    ]


def random_strings(count, seed=7):
    rng = random.Random(seed)
    ranges = [(0x20, 0x7E), (0x09, 0x0D), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
              (0x900, 0x97F), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0x1F300, 0x1F64F),
              (0x1D400, 0x1D4FF), (0x00, 0x1F)]
    out = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 30)):
            low, high = rng.choice(ranges)
            pieces.append(chr(rng.randint(low, high)))
            if rng.random() < 0.3:
                pieces.append(" " * rng.randint(1, 3))
        out.append("".join(pieces))
    return out


def dolly_strings(data, count):
    out = []
    with open(os.path.join(data, "dolly", "dolly_valid.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if len(out) >= count:
                break
            record = json.loads(line)
            out.append(record["instruction"])
            out.append(record["output"][:400])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="folder with pretrain/tinyshakespeare.txt and dolly/dolly_{train,valid}.jsonl")
    data = parser.parse_args().data
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024, special_tokens=["<|endoftext|>", "<|pad|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(corpus(data), trainer)
    os.makedirs(OUT, exist_ok=True)
    tokenizer.save(os.path.join(OUT, "tokenizer.json"))
    strings = edge_cases() + dolly_strings(data, 160) + random_strings(120)
    expected = [{"text": s, "ids": tokenizer.encode(s).ids} for s in strings]
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=0)
    print(f"wrote {len(expected)} strings, vocab {tokenizer.get_vocab_size()}")


if __name__ == "__main__":
    main()
