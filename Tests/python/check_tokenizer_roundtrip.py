#!/usr/bin/env python3
"""tokenizer.json files written by minillm-dist load in the `tokenizers` package and encode
identically:
1. the reference fixture, loaded and saved again by `minillm-dist tokenizer resave`;
2. a tokenizer trained by `minillm-dist tokenizer train` on Dolly text (the committed excerpt
   Tests/Fixtures/text/dolly_valid_excerpt.jsonl): the ids `tokenizers` gives with our file equal
   the ids `minillm-dist tokenizer encode` gives.
Usage: check_tokenizer_roundtrip.py PATH/TO/minillm-dist
"""
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "TokenizersTests", "Fixtures")
DOLLY = os.path.join(ROOT, "Tests", "Fixtures", "text", "dolly_valid_excerpt.jsonl")

passed = failed = 0


def check(label, ok, detail=""):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(f"{'ok  ' if ok else 'FAIL'} {label} {'' if ok else detail}")


def main():
    binary = sys.argv[1]
    with open(os.path.join(FIXTURES, "expected.json"), encoding="utf-8") as f:
        cases = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        resaved = os.path.join(tmp, "resaved.json")
        subprocess.run([binary, "tokenizer", "resave", os.path.join(FIXTURES, "tokenizer.json"), resaved], check=True)
        theirs = Tokenizer.from_file(resaved)
        bad = [c["text"] for c in cases if theirs.encode(c["text"]).ids != c["ids"]]
        check(f"tokenizers loads our re-saved fixture and encodes {len(cases)} strings identically", not bad, repr(bad[:3]))

        corpus = os.path.join(tmp, "corpus.txt")
        samples = []
        with open(DOLLY, encoding="utf-8") as f, open(corpus, "w", encoding="utf-8") as out:
            for i, line in enumerate(f):
                record = json.loads(line)
                out.write(record["instruction"] + "\n" + record["output"] + "\n")
                if i % 15 == 0:
                    samples.append(record["output"][:300])
        trained = os.path.join(tmp, "trained.json")
        subprocess.run([binary, "tokenizer", "train", "--files", corpus, "--vocab-size", "800", "--output", trained],
                       check=True, stdout=subprocess.DEVNULL)
        reference = Tokenizer.from_file(trained)
        check("tokenizers loads a tokenizer trained by minillm-dist", reference.get_vocab_size() == 800,
              f"vocab {reference.get_vocab_size()}")
        mismatches = []
        specials = ["Hello <|endoftext|> world", "it's 42°C 🙂", "<|endoftext|>\u0301", "a<|endoftext|>\u200db",
                    "<|endoftext|>\ufe0f!", "<|endoftext|>\U0001f3fd x", "\u0600<|endoftext|>y", "e\u0301<|endoftext|>\u0301\u0301"]
        for text in samples + specials:
            # "--": a text may start with "-" (Dolly lists), which would read as an option.
            ours = json.loads(subprocess.run([binary, "tokenizer", "encode", "--tokenizer", trained, "--", text],
                                             check=True, capture_output=True, text=True).stdout)
            if ours != reference.encode(text).ids:
                mismatches.append(text)
        check(f"our trained tokenizer encodes {len(samples) + len(specials)} strings as tokenizers does (special tokens next to combining marks among them)", not mismatches,
              repr(mismatches[:2]))
    print(f"tokenizer round trip: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
