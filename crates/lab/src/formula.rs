//! Calculated fields of a lab record (计算字段): a formula over other fields' values, written as
//! a person writes it — `(a_std / a_smp) * w_std / w_smp * p_std * 100` — parsed once when the
//! template is designed and evaluated whenever its inputs change. A calculated value is never
//! typed: the record stores the formula's result only.
//!
//! The grammar: numbers (`12`, `0.5`, `1.2e-3`), field keys (a letter or `_`, then letters,
//! digits, `_`), `+ - * /`, `^` (power, right-associative), unary minus, parentheses, and the
//! functions `sqrt abs ln log10 exp` (one argument), `min max sum mean sd rsd` (one or more;
//! `sd` and `rsd` at least two: the sample standard deviation, n − 1). Limits keep a formula
//! from exhausting anything: 2 000 characters, 64 levels of nesting.
//!
//! [`order`] sorts a template's calculated fields so each comes after the fields it reads, and
//! names the fields of a cycle.

use std::collections::{BTreeMap, BTreeSet};

/// Longest formula accepted, characters.
pub const MAX_LEN: usize = 2000;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// Why a formula cannot be read or evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    /// The character position (from 0) where reading failed, for a syntax error.
    pub position: Option<usize>,
    /// A stable code: `syntax`, `too_long`, `too_deep`, `unknown_function`, `arity`,
    /// `unknown_field`, `missing_value`, `division_by_zero`, `domain`, `cycle`.
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for FormulaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "at {p}: {} ({})", self.message, self.rule),
            None => write!(f, "{} ({})", self.message, self.rule),
        }
    }
}

impl std::error::Error for FormulaError {}

fn fail(position: Option<usize>, rule: &'static str, message: impl Into<String>) -> FormulaError {
    FormulaError { position, rule, message: message.into() }
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Field(String),
    Neg(Box<Expr>),
    Binary(char, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

const ONE: &[&str] = &["sqrt", "abs", "ln", "log10", "exp"];
const MANY: &[&str] = &["min", "max", "sum", "mean", "sd", "rsd"];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Op(char),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<(usize, Token)>, FormulaError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let token = match c {
            '0'..='9' | '.' => {
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                // An exponent: e or E, an optional sign, digits.
                if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                    let mut j = i + 1;
                    if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                        j += 1;
                    }
                    if j < chars.len() && chars[j].is_ascii_digit() {
                        while j < chars.len() && chars[j].is_ascii_digit() {
                            j += 1;
                        }
                        i = j;
                    }
                }
                let text: String = chars[start..i].iter().collect();
                let value =
                    text.parse::<f64>().map_err(|_| fail(Some(start), "syntax", format!("{text} is not a number")))?;
                out.push((start, Token::Number(value)));
                continue;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push((start, Token::Name(chars[start..i].iter().collect())));
                continue;
            }
            '+' | '-' | '*' | '/' | '^' => Token::Op(c),
            '×' => Token::Op('*'),
            '÷' => Token::Op('/'),
            '(' | '（' => Token::Open,
            ')' | '）' => Token::Close,
            ',' | '，' => Token::Comma,
            other => return Err(fail(Some(start), "syntax", format!("{other:?} is not part of a formula"))),
        };
        out.push((start, token));
        i += 1;
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }
    fn position(&self) -> usize {
        self.tokens.get(self.at).map(|(p, _)| *p).unwrap_or(self.end)
    }
    fn expect(&mut self, want: Token, what: &str) -> Result<(), FormulaError> {
        if self.peek() == Some(&want) {
            self.at += 1;
            Ok(())
        } else {
            Err(fail(Some(self.position()), "syntax", format!("{what} expected")))
        }
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        let mut left = self.product(depth)?;
        while let Some(Token::Op(op @ ('+' | '-'))) = self.peek().cloned() {
            self.at += 1;
            let right = self.product(depth)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// product := unary (('*' | '/') unary)*
    fn product(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        let mut left = self.unary(depth)?;
        while let Some(Token::Op(op @ ('*' | '/'))) = self.peek().cloned() {
            self.at += 1;
            let right = self.unary(depth)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// unary := '-' unary | power
    fn unary(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        if depth > MAX_DEPTH {
            return Err(fail(Some(self.position()), "too_deep", format!("at most {MAX_DEPTH} levels of nesting")));
        }
        match self.peek() {
            Some(Token::Op('-')) => {
                self.at += 1;
                Ok(Expr::Neg(Box::new(self.unary(depth + 1)?)))
            }
            Some(Token::Op('+')) => {
                self.at += 1;
                self.unary(depth + 1)
            }
            _ => self.power(depth),
        }
    }

    /// power := atom ('^' unary)?   (right-associative: 2^3^2 = 2^9)
    fn power(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        let base = self.atom(depth)?;
        if self.peek() == Some(&Token::Op('^')) {
            self.at += 1;
            let exponent = self.unary(depth + 1)?;
            return Ok(Expr::Binary('^', Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        let position = self.position();
        match self.peek().cloned() {
            Some(Token::Number(v)) => {
                self.at += 1;
                Ok(Expr::Number(v))
            }
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.sum(depth + 1)?;
                self.expect(Token::Close, "a closing parenthesis")?;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                self.at += 1;
                if self.peek() != Some(&Token::Open) {
                    return Ok(Expr::Field(name));
                }
                let known = ONE.contains(&name.as_str()) || MANY.contains(&name.as_str());
                if !known {
                    return Err(fail(Some(position), "unknown_function", format!("no function {name}")));
                }
                self.at += 1;
                let mut args = vec![self.sum(depth + 1)?];
                while self.peek() == Some(&Token::Comma) {
                    self.at += 1;
                    args.push(self.sum(depth + 1)?);
                }
                self.expect(Token::Close, "a closing parenthesis")?;
                let arity_ok = match name.as_str() {
                    n if ONE.contains(&n) => args.len() == 1,
                    "sd" | "rsd" => args.len() >= 2,
                    _ => !args.is_empty(),
                };
                if !arity_ok {
                    return Err(fail(Some(position), "arity", format!("{name} takes another number of arguments")));
                }
                Ok(Expr::Call(name, args))
            }
            _ => Err(fail(Some(position), "syntax", "a number, a field or a parenthesis expected")),
        }
    }
}

impl Expr {
    /// Reads a formula.
    pub fn parse(text: &str) -> Result<Expr, FormulaError> {
        if text.chars().count() > MAX_LEN {
            return Err(fail(None, "too_long", format!("a formula of at most {MAX_LEN} characters")));
        }
        let tokens = tokens(text)?;
        let end = text.chars().count();
        let mut p = Parser { tokens, at: 0, end };
        let expr = p.sum(0)?;
        if p.at < p.tokens.len() {
            return Err(fail(Some(p.position()), "syntax", "an operator expected"));
        }
        Ok(expr)
    }

    /// The field keys the formula reads.
    pub fn fields(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut BTreeSet<String>) {
        match self {
            Expr::Number(_) => {}
            Expr::Field(f) => {
                out.insert(f.clone());
            }
            Expr::Neg(e) => e.collect(out),
            Expr::Binary(_, a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.collect(out)),
        }
    }

    /// The formula's value with each field's value from `value` (`None`: not filled in yet).
    pub fn eval(&self, value: &dyn Fn(&str) -> Option<f64>) -> Result<f64, FormulaError> {
        let v = match self {
            Expr::Number(n) => *n,
            Expr::Field(f) => value(f).ok_or_else(|| fail(None, "missing_value", format!("{f} has no value yet")))?,
            Expr::Neg(e) => -e.eval(value)?,
            Expr::Binary(op, a, b) => {
                let (x, y) = (a.eval(value)?, b.eval(value)?);
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' if y == 0.0 => return Err(fail(None, "division_by_zero", "division by zero")),
                    '/' => x / y,
                    _ => x.powf(y),
                }
            }
            Expr::Call(name, args) => {
                let xs = args.iter().map(|a| a.eval(value)).collect::<Result<Vec<f64>, _>>()?;
                call(name, &xs)?
            }
        };
        if v.is_finite() {
            Ok(v)
        } else {
            Err(fail(None, "domain", "the result is not a finite number"))
        }
    }
}

fn call(name: &str, xs: &[f64]) -> Result<f64, FormulaError> {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = || (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let x = xs.first().copied().unwrap_or(0.0);
    let domain = |ok: bool, what: &str| if ok { Ok(()) } else { Err(fail(None, "domain", what.to_string())) };
    Ok(match name {
        "sqrt" => {
            domain(x >= 0.0, "sqrt of a negative number")?;
            x.sqrt()
        }
        "abs" => x.abs(),
        "ln" => {
            domain(x > 0.0, "ln of a number not above 0")?;
            x.ln()
        }
        "log10" => {
            domain(x > 0.0, "log10 of a number not above 0")?;
            x.log10()
        }
        "exp" => x.exp(),
        "min" => xs.iter().copied().fold(f64::INFINITY, f64::min),
        "max" => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "sum" => xs.iter().sum(),
        "mean" => mean,
        "sd" => sd(),
        "rsd" => {
            if mean == 0.0 {
                return Err(fail(None, "division_by_zero", "rsd of values whose mean is 0"));
            }
            100.0 * sd() / mean.abs()
        }
        other => return Err(fail(None, "unknown_function", format!("no function {other}"))),
    })
}

/// The calculated fields in an order where each comes after every calculated field it reads;
/// a field read that is neither an input nor calculated is `unknown_field`; a cycle names its
/// fields.
pub fn order(inputs: &BTreeSet<String>, calculated: &BTreeMap<String, Expr>) -> Result<Vec<String>, FormulaError> {
    for (key, expr) in calculated {
        if let Some(unknown) = expr.fields().into_iter().find(|f| !inputs.contains(f) && !calculated.contains_key(f)) {
            return Err(fail(
                None,
                "unknown_field",
                format!("{key} reads {unknown}, which the template does not have"),
            ));
        }
    }
    let mut done: Vec<String> = Vec::new();
    let mut left: BTreeMap<&String, BTreeSet<String>> = calculated
        .iter()
        .map(|(k, e)| (k, e.fields().into_iter().filter(|f| calculated.contains_key(f)).collect()))
        .collect();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, needs)| needs.iter().all(|n| done.contains(n)))
            .map(|(k, _)| (*k).clone())
            .collect();
        if ready.is_empty() {
            let cycle: Vec<String> = left.keys().map(|k| (*k).clone()).collect();
            return Err(fail(None, "cycle", format!("these calculated fields read each other: {}", cycle.join(", "))));
        }
        for k in ready {
            left.remove(&k);
            done.push(k);
        }
    }
    Ok(done)
}
