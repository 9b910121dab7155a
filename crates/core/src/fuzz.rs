//! A small fuzzing loop for the tests of the crates that read hostile input (the GS1 parser, the
//! EPCIS checker, the spreadsheet readers, the proof-bundle reader): it runs on the stable
//! toolchain inside `cargo test`, with no dependency.
//!
//! Each case is either random bytes or a stack of one to four mutations (bit flips, byte
//! changes, insertions, deletions, repeated ranges, tokens of a dictionary, boundary numbers,
//! splices of two inputs) of an input of the corpus, which starts as the target's known-good
//! samples. The loop is guided by what the target answers rather than by coverage: a case
//! whose *outcome* (the label the target returns, such as `ok` or `err:ai_length`) has not been
//! seen before joins the corpus and is mutated further, so mutants that get past one check are
//! kept to reach the next. (Coverage guidance needs cargo-fuzz on nightly or afl.rs's own
//! instrumented build; neither fits `cargo test` on stable.)
//!
//! A run stops after [`Budget::cases`] cases or [`Budget::time`], whichever comes first. Both
//! come from `YAOLIAN_FUZZ_SECONDS`: unset, a short run for CI; set, that many seconds with no
//! case limit (`scripts/fuzz-long`). The sequence is seeded (`YAOLIAN_FUZZ_SEED`, or a fixed
//! seed), so a failure repeats; a panicking case is printed, escaped, before the panic goes on,
//! and with `YAOLIAN_FUZZ_LAST=dir` the targets write every case to `dir/<target>.last` before
//! running it ([`last_case_path`]; an abort, such as a failed allocation, cannot be caught).

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// Marsaglia's xorshift64: small, seeded, the same sequence on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// How long one target runs.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub cases: u64,
    pub time: Duration,
}

impl Budget {
    /// `YAOLIAN_FUZZ_SECONDS` seconds with no case limit when it is set; else `ci_cases` cases
    /// within `ci_time`.
    pub fn from_env(ci_cases: u64, ci_time: Duration) -> Budget {
        match std::env::var("YAOLIAN_FUZZ_SECONDS").ok().and_then(|s| s.trim().parse::<u64>().ok()) {
            Some(seconds) => Budget { cases: u64::MAX, time: Duration::from_secs(seconds) },
            None => Budget { cases: ci_cases, time: ci_time },
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: String,
    pub cases: u64,
    pub elapsed: Duration,
    /// Inputs kept (the samples and every case with a new outcome).
    pub corpus: usize,
    /// Distinct outcomes seen.
    pub outcomes: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fuzz {}: {} cases in {:.1} s, {} distinct outcomes, corpus {}",
            self.target,
            self.cases,
            self.elapsed.as_secs_f64(),
            self.outcomes,
            self.corpus
        )
    }
}

/// Numbers at the edges of what integer and float fields hold.
const BOUNDARY: &[&str] = &[
    "0",
    "-1",
    "-0",
    "1e309",
    "-1e309",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "99999999999999999999999",
];

/// Mutates `input` in place by one random operation; `dict` adds tokens of the input's format.
pub fn mutate_once(rng: &mut Rng, input: &mut Vec<u8>, dict: &[&[u8]], other: &[u8]) {
    let len = input.len();
    match rng.below(10) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = [0u8, 0x1d, b'"', b'\\', b'{', b'[', b'(', b'/', 0xff, rng.next_u64() as u8][rng.below(10)];
        }
        2 => {
            let i = rng.below(len + 1);
            input.insert(i, rng.next_u64() as u8);
        }
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(16));
            input.drain(i..i + n);
        }
        4 if len > 0 => {
            // Repeat a range, up to 64 times: long fields and deep nesting.
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(32));
            let piece = input[i..i + n].to_vec();
            let times = 1 + rng.below(64);
            let at = i + n;
            input.splice(at..at, piece.iter().copied().cycle().take(n * times));
        }
        5 | 6 if !dict.is_empty() => {
            let token = dict[rng.below(dict.len())];
            let i = rng.below(len + 1);
            if rng.chance(2) && i < len {
                let n = 1 + rng.below((len - i).min(token.len().max(1)));
                input.splice(i..i + n, token.iter().copied());
            } else {
                input.splice(i..i, token.iter().copied());
            }
        }
        7 => {
            // Replace a run of digits (or insert) with a boundary number.
            let number = BOUNDARY[rng.below(BOUNDARY.len())].as_bytes();
            let digits: Vec<usize> = (0..len).filter(|&i| input[i].is_ascii_digit()).collect();
            if digits.is_empty() {
                let i = rng.below(len + 1);
                input.splice(i..i, number.iter().copied());
            } else {
                let start = digits[rng.below(digits.len())];
                let end = (start..len).find(|&i| !input[i].is_ascii_digit()).unwrap_or(len);
                input.splice(start..end, number.iter().copied());
            }
        }
        8 if !other.is_empty() => {
            // Splice: a prefix of this input and a suffix of another.
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        _ if len > 0 => {
            input.truncate(rng.below(len));
        }
        _ => input.push(rng.next_u64() as u8),
    }
}

/// Random bytes, mostly short; printable more often than not.
pub fn random_bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    let n = rng.below(max + 1);
    let printable = rng.chance(2);
    (0..n)
        .map(|_| {
            let b = rng.next_u64() as u8;
            if printable {
                b' ' + b % 95
            } else {
                b
            }
        })
        .collect()
}

/// The input of one case: random bytes one time in sixteen, else one to four stacked
/// mutations of a corpus entry.
pub fn next_case(rng: &mut Rng, corpus: &[Vec<u8>], dict: &[&[u8]], max_random: usize) -> Vec<u8> {
    if corpus.is_empty() || rng.chance(16) {
        return random_bytes(rng, max_random);
    }
    let mut input = corpus[rng.below(corpus.len())].clone();
    if rng.chance(4) {
        if let Some(mutant) = mutate_json(rng, &input) {
            return mutant;
        }
    }
    let other = &corpus[rng.below(corpus.len())];
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, &mut input, dict, other);
    }
    input
}

/// A structural mutation of a JSON input (`None` when it is not JSON): one value somewhere in
/// it — chosen uniformly — becomes a boundary number, another type, or goes (a member or an
/// element removed), so that the document stays well-formed and reaches the checks behind the
/// parser.
pub fn mutate_json(rng: &mut Rng, input: &[u8]) -> Option<Vec<u8>> {
    use serde_json::Value;
    let mut doc: Value = serde_json::from_slice(input).ok()?;
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    let total = count(&doc);
    let mut target = rng.below(total);
    // Walk to the target-th value (pre-order) and change it or its container.
    fn walk<'a>(v: &'a mut Value, target: &mut usize) -> Option<&'a mut Value> {
        if *target == 0 {
            return Some(v);
        }
        *target -= 1;
        match v {
            Value::Array(a) => a.iter_mut().find_map(|x| walk(x, target)),
            Value::Object(o) => o.values_mut().find_map(|x| walk(x, target)),
            _ => None,
        }
    }
    let node = walk(&mut doc, &mut target)?;
    let replacement = match rng.below(8) {
        0..=2 => serde_json::from_str(BOUNDARY[rng.below(BOUNDARY.len())]).unwrap_or(Value::Null),
        3 => Value::Null,
        4 => Value::String(String::new()),
        5 => serde_json::json!([]),
        6 => match node {
            Value::Array(a) if !a.is_empty() => {
                let i = rng.below(a.len());
                a.remove(i);
                return serde_json::to_vec(&doc).ok();
            }
            Value::Object(o) if !o.is_empty() => {
                let key = o.keys().nth(rng.below(o.len())).cloned().unwrap_or_default();
                o.remove(&key);
                return serde_json::to_vec(&doc).ok();
            }
            _ => Value::Bool(true),
        },
        _ => match node {
            Value::Array(a) if !a.is_empty() => {
                let x = a[rng.below(a.len())].clone();
                a.push(x);
                return serde_json::to_vec(&doc).ok();
            }
            _ => serde_json::json!({}),
        },
    };
    *node = replacement;
    serde_json::to_vec(&doc).ok()
}

/// The seed of the run: `YAOLIAN_FUZZ_SEED`, or a fixed one.
pub fn seed() -> u64 {
    std::env::var("YAOLIAN_FUZZ_SEED").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0x5eed_0a01)
}

/// Runs `target` on the samples and then on generated cases until the budget is spent. The
/// target returns an outcome label (a typed error's rule or `ok`, numbers left out so that a
/// position does not count as new) and asserts what must hold; a panic in it is reported with
/// the input and then fails the test.
pub fn run(
    name: &str,
    samples: &[Vec<u8>],
    dict: &[&[u8]],
    budget: Budget,
    mut target: impl FnMut(&[u8]) -> String,
) -> Report {
    let mut rng = Rng::new(
        seed() ^ name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3)),
    );
    let max_random = samples.iter().map(Vec::len).max().unwrap_or(64).max(64);
    let mut corpus: Vec<Vec<u8>> = samples.to_vec();
    let mut seen: HashSet<String> = HashSet::new();
    let started = Instant::now();
    let mut cases = 0u64;
    let mut pending = samples.iter().cloned();
    // Guidance keeps the corpus bounded: at most this many kept inputs.
    const MAX_CORPUS: usize = 4_096;
    while cases < budget.cases && started.elapsed() < budget.time {
        let input = match pending.next() {
            Some(sample) => sample,
            None => next_case(&mut rng, &corpus, dict, max_random),
        };
        cases += 1;
        let outcome = match panic::catch_unwind(AssertUnwindSafe(|| target(&input))) {
            Ok(outcome) => outcome,
            Err(payload) => {
                eprintln!(
                    "fuzz {name}: case {cases} panicked; input ({} bytes, the first 600 shown): b\"{}\"",
                    input.len(),
                    input[..input.len().min(600)].escape_ascii()
                );
                panic::resume_unwind(payload);
            }
        };
        let label: String = outcome.chars().filter(|c| !c.is_ascii_digit()).collect();
        if seen.insert(label) && corpus.len() < MAX_CORPUS {
            corpus.push(input);
        }
    }
    let report =
        Report { target: name.into(), cases, elapsed: started.elapsed(), corpus: corpus.len(), outcomes: seen.len() };
    eprintln!("{report}");
    report
}

/// Where a target writes each case before it runs it, `YAOLIAN_FUZZ_LAST/<target>.last`, when
/// that variable names a directory: an abort (a failed allocation) cannot be caught, so the
/// input must be on disk first. The target writes it (this crate does no I/O).
pub fn last_case_path(target: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("YAOLIAN_FUZZ_LAST").map(|dir| std::path::PathBuf::from(dir).join(format!("{target}.last")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_cases() {
        let corpus = vec![b"(01)09506000134352(21)ABC".to_vec()];
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..200 {
            assert_eq!(next_case(&mut a, &corpus, &[b"(10)"], 64), next_case(&mut b, &corpus, &[b"(10)"], 64));
        }
    }

    #[test]
    fn a_run_stops_at_its_case_budget_and_keeps_new_outcomes() {
        let budget = Budget { cases: 500, time: Duration::from_secs(10) };
        let report = run("self-test", &[b"abc".to_vec()], &[], budget, |b| format!("len{}", b.len().min(3)));
        assert_eq!(report.cases, 500);
        assert!(report.outcomes >= 1 && report.corpus >= 1);
    }
}
