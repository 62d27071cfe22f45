#!/usr/bin/env python3
"""ROUGE-L parity fixture for the Swift `Evaluation` module, computed with `rouge-score`.

Builds a seeded set of candidate/reference pairs (synthetic text exercising every Porter rule,
punctuation, digits, mixed case, empty strings, non-ASCII, several references per candidate, plus
Dolly outputs from the committed excerpt Tests/Fixtures/text/dolly_valid_excerpt.jsonl, or from
the file given with --dolly) and scores them with
`RougeScorer(["rougeL"], use_stemmer=True)` (`score_multi` for several references).

  check_rouge_parity.py --write   regenerate Tests/EvaluationTests/Fixtures/rouge_pairs.jsonl
  check_rouge_parity.py           re-score the committed fixture and check it still agrees
  check_rouge_parity.py --swift   also run the Swift side (`swift test --filter RougeLTests`)

Each fixture line: {"candidate", "references", "candidate_tokens", "expected": {"precision",
"recall", "fmeasure"}}. The Swift test `RougeLTests` reads it and requires agreement to 1e-6.
Needs `pip install rouge-score` (which brings nltk).
"""
import argparse
import json
import os
import random
import subprocess
import sys

from rouge_score import rouge_scorer, tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "Tests", "EvaluationTests", "Fixtures", "rouge_pairs.jsonl")
DOLLY = os.path.join(ROOT, "Tests", "Fixtures", "text", "dolly_valid_excerpt.jsonl")
SEED = 20240613
TOLERANCE = 1e-6

# Words that reach every Porter step and NLTK extension (irregular forms included), plus
# ordinary words so that random texts share tokens often enough to make LCS interesting.
PORTER_WORDS = """
caresses ponies ties caress cats dies lies pies feed agreed plastered bled motoring sing
conflated troubled sized hopping tanned falling hissing fizzed failing filing spied tried cried
happy sky skies enjoy spy fly try relational conditional rational valenci hesitanci digitizer
conformabli radicalli differentli vileli analogousli vietnamization predication operator
feudalism decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate
formative formalize electriciti electrical hopeful goodness revival allowance inference
airliner gyroscopic adjustable defensible irritant replacement adjustment dependent adoption
homologou communism activate angulariti homologous effective bowdlerize probate rate cease
controll roll generalizations generalization generously oscillators dying lying tying news
innings inning outings outing cannings canning howe proceed exceed succeed proceeding exceeded
beautifully carefulli fulli analogi archaeology apologies studies studied flies ied ies
tied yelling yyyy syzygy toy toys boy played playing agreement easily mystical cycling
sensational meeting meetings running runs ran generously hopelessness nationalization
""".split()

COMMON_WORDS = """
the a an of to and in is was for on that with as it by at from this be are or which have
model training data student teacher loss gradient token tokens language large small text
quick brown fox jumps over lazy dog cat running ran runs run easily easy fairly
""".split()

NON_ASCII_WORDS = [
    "café", "naïve", "résumé", "日本語", "東京", "😀", "👍🏽", "Straße", "STRASSE", "ẞ", "groß",
    "İstanbul", "\u212Aelvin", "ΣΟΦΟΣ", "Ωmega", "e\u0301clair", "ﬁle", "ＡＢＣ", "１２３",
    "١٢٣", "x²", "Ⅻ", "Ærø", "coöperate", "Ł\u00F3d\u017A", "\u00A0nbsp", "tab\tbed", "naïvely",
]

PUNCTUATION = [".", ",", "!", "?", ";", ":", "-", "--", "'", '"', "(", ")", "...", "/", "&",
               "#", "@", "%", "$", "\n", "\t", "  ", "_", "'s", "n't"]


class Reference:
    """rouge-score's ROUGE-L scorer and the tokenizer it uses by default."""

    def __init__(self):
        self.scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
        self.tokenizer = tokenizers.DefaultTokenizer(use_stemmer=True)


def random_word(rng):
    kind = rng.random()
    if kind < 0.40:
        word = rng.choice(PORTER_WORDS)
    elif kind < 0.75:
        word = rng.choice(COMMON_WORDS)
    elif kind < 0.85:
        word = str(rng.choice([0, 1, 7, 42, 1990, 2024, 3.14, 100000, 12345678]))
        word += rng.choice(["", "", "s", "th", "%", "km"])
    else:
        word = rng.choice(NON_ASCII_WORDS)
    case = rng.random()
    if case < 0.10:
        word = word.upper()
    elif case < 0.25:
        word = word.capitalize()
    elif case < 0.30:
        word = "".join(c.upper() if rng.random() < 0.5 else c for c in word)
    return word


def random_text(rng, max_words):
    parts = []
    for _ in range(rng.randint(0, max_words)):
        parts.append(random_word(rng))
        if rng.random() < 0.2:
            parts.append(rng.choice(PUNCTUATION))
    glue = rng.choice([" ", " ", " ", "", "\n", "  "])
    return glue.join(parts) if rng.random() < 0.9 else "".join(
        p + rng.choice(PUNCTUATION) for p in parts)


def perturbed(rng, text):
    """A text sharing a random part of `text`: words dropped, swapped, replaced, re-cased."""
    words = text.split()
    out = []
    for word in words:
        roll = rng.random()
        if roll < 0.12:
            continue
        if roll < 0.22:
            out.append(random_word(rng))
        elif roll < 0.28:
            out.append(word.upper())
        elif roll < 0.34:
            out.extend([word, word])
        else:
            out.append(word)
    for _ in range(rng.randint(0, 2)):
        if len(out) > 1:
            i, j = rng.randrange(len(out)), rng.randrange(len(out))
            out[i], out[j] = out[j], out[i]
    return " ".join(out)


def synthetic_pairs(rng):
    pairs = [
        ("", [""]), ("", ["the cat sat"]), ("the cat sat", [""]), ("   ", ["\n\t"]),
        ("...!!!", ["???"]), ("日本語 😀", ["日本語"]), ("café", ["caf"]), ("naïve", ["na ve"]),
        ("İstanbul", ["i stanbul"]), ("\u212Aelvin", ["kelvin"]), ("Straße", ["stra e"]),
        ("ẞ STRASSE", ["strasse"]), ("ﬁle", ["file"]), ("ＡＢＣ abc", ["abc"]),
        ("The quick brown fox jumps over the lazy dog",
         ["The quick brown dog jumps on the log."]),
        ("generalizations are generally relational", ["general relations generalize"]),
        ("dying lying tying", ["die lie tie"]), ("skies sky", ["sky skies"]),
        ("a b c", ["c b a", "a c", "b"]), ("a b", ["a b", "a b"]), ("x", ["y", "z"]),
        (" ".join(PORTER_WORDS), [" ".join(reversed(PORTER_WORDS))]),
        (" ".join(NON_ASCII_WORDS), [" ".join(NON_ASCII_WORDS[::-1]), ""]),
    ]
    for _ in range(280):
        candidate = random_text(rng, rng.choice([3, 10, 30]))
        references = []
        for _ in range(rng.choice([1, 1, 1, 2, 3, 4])):
            references.append(
                perturbed(rng, candidate) if rng.random() < 0.6 else random_text(rng, 20))
        pairs.append((candidate, references))
    return pairs


def truncated(text, limit=250):
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def dolly_pairs(rng, path, count=100):
    with open(path, encoding="utf-8") as f:
        outputs = [truncated(json.loads(line)["output"]) for line in f]
    outputs = [o for o in outputs if o.strip()]
    pairs = []
    for _ in range(count):
        candidate = rng.choice(outputs)
        roll = rng.random()
        if roll < 0.45:
            references = [perturbed(rng, candidate)]
        elif roll < 0.75:
            references = [rng.choice(outputs)]
        else:
            references = [rng.choice(outputs), perturbed(rng, candidate), rng.choice(outputs)]
        pairs.append((candidate, references))
    return pairs


def build_pairs(dolly_path):
    rng = random.Random(SEED)
    pairs = synthetic_pairs(rng)
    pairs += dolly_pairs(random.Random(SEED + 1), dolly_path)
    return pairs


def expected_record(reference, candidate, references):
    best = reference.scorer.score_multi(references, candidate)["rougeL"]
    return {
        "candidate": candidate,
        "references": references,
        "candidate_tokens": reference.tokenizer.tokenize(candidate),
        "expected": {"precision": best.precision, "recall": best.recall,
                     "fmeasure": best.fmeasure},
    }


def write(dolly_path):
    reference = Reference()
    records = [expected_record(reference, c, r) for c, r in build_pairs(dolly_path)]
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} pairs ({os.path.getsize(FIXTURE)} bytes) to {FIXTURE}")


def check(dolly_path):
    """Re-scores every committed pair with rouge-score; returns the number of problems."""
    reference = Reference()
    with open(FIXTURE, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    problems = 0
    worst = 0.0
    for record in records:
        fresh = expected_record(reference, record["candidate"], record["references"])
        if fresh["candidate_tokens"] != record["candidate_tokens"]:
            problems += 1
            print(f"FAIL tokens of {record['candidate']!r}")
        for key, value in fresh["expected"].items():
            difference = abs(value - record["expected"][key])
            worst = max(worst, difference)
            if difference > TOLERANCE:
                problems += 1
                print(f"FAIL {key} of {record['candidate']!r}: fixture "
                      f"{record['expected'][key]}, rouge-score {value}")
    regenerated = build_pairs(dolly_path)
    if [(r["candidate"], r["references"]) for r in records] != regenerated:
        print("note: the pairs generated now differ from the committed ones "
              "(different data or generator); run --write to refresh")
    print(f"{'ok  ' if problems == 0 else 'FAIL'} {len(records)} committed pairs re-scored by "
          f"rouge-score, max abs difference {worst:.3g}")
    return problems


def run_swift():
    command = ["swift", "test", "-j", "1", "--filter", "EvaluationTests.RougeLTests"]
    print("$", " ".join(command))
    return subprocess.run(command, cwd=ROOT).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate the fixture")
    parser.add_argument("--swift", action="store_true", help="also run the Swift parity test")
    parser.add_argument("--dolly", default=DOLLY, help="Dolly JSONL with an `output` field")
    args = parser.parse_args()
    if args.write:
        write(args.dolly)
    status = 1 if check(args.dolly) else 0
    if args.swift and status == 0:
        status = run_swift()
    sys.exit(status)


if __name__ == "__main__":
    main()
