//! Field-by-field differences between two versions of a record (JSON objects), and the
//! catalogue that makes them readable (字段目录): every entity names its fields in Chinese and
//! says how their values read, so that a history page shows 有效期截止日期 and
//! `2026-11-24 04:00:00 +08:00` instead of `document.valid_until` and epoch milliseconds.
//!
//! A record's data is flattened to paths: members joined with `.`, list items as `[n]`
//! (`steps[2].at`, `form.phone`, `document.fields.scope`). A catalogue entry names a path
//! *pattern*, the path with its indices left empty (`steps[].at`); `parent.*` names every
//! member of a map whose keys are data (`document.fields.*`). An entry with an empty label is
//! transparent: `document` adds nothing to `document.holder` (持证主体).
//!
//! A field the catalogue does not name reads 其他字段, never its key; a time field (`at`,
//! `*_at`) reads in China Standard Time even when uncatalogued. The domain crates keep their
//! catalogues next to their code (`yaolian_license::labels`, `yaolian_services::labels`,
//! `yaolian_registry::labels`, `yaolian_trace::labels` …), and each tests that a full record
//! has no uncatalogued path ([`Catalogue::unlabelled`]).

use serde_json::Value;

use crate::Timestamp;

/// One field that differs: its name, the old value and the new one (`None` = absent).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Fields whose values differ between `old` and `new`, sorted by name. Non-objects compare as
/// one field named `""`.
pub fn object_diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    match (old.as_object(), new.as_object()) {
        (Some(a), Some(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| FieldChange { field: k.clone(), old: a.get(k).cloned(), new: b.get(k).cloned() })
                .collect()
        }
        _ if old == new => Vec::new(),
        _ => vec![FieldChange { field: String::new(), old: Some(old.clone()), new: Some(new.clone()) }],
    }
}

/// How a field's value reads.
#[derive(Debug, Clone, Copy, Default)]
pub enum Shown {
    /// As written: text, numbers; 是/否 for a truth value; a list of words joined with 、. A time
    /// field (`at`, `*_at`) holding milliseconds reads as a time.
    #[default]
    Text,
    /// Milliseconds since the epoch, or an RFC 3339 text, in China Standard Time.
    Time,
    /// A code with its Chinese label (a status, a kind); a code the function does not know
    /// reads 其他.
    Code(fn(&str) -> Option<&'static str>),
    /// A secret's fingerprint: 已设置 or 未设置, never the value.
    Secret,
}

/// What a field reads when the catalogue does not name it.
pub const OTHER_FIELD: &str = "其他字段";
/// What a value of an unknown code reads.
pub const OTHER_VALUE: &str = "其他";
/// What an absent value reads.
pub const ABSENT: &str = "—";

/// Version actions shared by many entities (the `action` of a version).
const COMMON_ACTIONS: &[(&str, &str)] = &[
    ("create", "创建"),
    ("update", "修改"),
    ("delete", "删除"),
    ("issue", "颁发"),
    ("change", "变更"),
    ("renew", "延续"),
    ("suspend", "暂停"),
    ("reinstate", "恢复"),
    ("revoke", "吊销"),
    ("sign", "电子签名"),
    ("approve", "批准"),
    ("refuse", "拒绝"),
    ("import", "导入"),
    ("disable", "停用"),
    ("enable", "启用"),
    ("close", "关闭"),
];

/// An entity's field → label catalogue, with the name of the record it describes.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    fields: Vec<(String, String, Shown)>,
    /// Codes named from data (`(pattern, code, label)`): a service type's name for its code.
    values: Vec<(String, String, String)>,
    /// Patterns left out of a diff: copies of another field (a step's stored Chinese name).
    hidden: Vec<String>,
    actions: Vec<(String, String)>,
    /// The record by its business identity (证照 浙CB20260007, 申请 SQ…, the company's name);
    /// empty when the data names nothing.
    pub name: String,
}

/// One changed field as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The flattened path (for tests and the API, never shown on a zh-CN page).
    pub path: String,
    /// The field in Chinese (办理过程 第 3 项 · 时间).
    pub label: String,
    pub old: String,
    pub new: String,
}

enum Token<'a> {
    Member(&'a str),
    Index(usize),
}

/// `steps[2].at` → Member(steps), Index(2), Member(at).
fn tokens(path: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (member, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !member.is_empty() {
            out.push(Token::Member(member));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']').unwrap_or(stripped.len());
            out.push(Token::Index(stripped[..end].parse().unwrap_or(0)));
            rest = stripped.get(end + 1..).unwrap_or("");
        }
    }
    out
}

/// Each token of `path` with the catalogue pattern of the path up to it (`steps[2].at` →
/// (steps, `steps`), (2, `steps[]`), (at, `steps[].at`)): the one walk that naming, checking
/// and ordering a field share.
fn walk(path: &str) -> Vec<(Token<'_>, String)> {
    let mut pat = String::new();
    tokens(path)
        .into_iter()
        .map(|t| {
            match t {
                Token::Member(m) => {
                    if !pat.is_empty() {
                        pat.push('.');
                    }
                    pat.push_str(m);
                }
                Token::Index(_) => pat.push_str("[]"),
            }
            (t, pat.clone())
        })
        .collect()
}

/// The pattern of a path: its indices left empty.
pub fn pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

fn is_time_key(key: &str) -> bool {
    key == "at" || key.ends_with("_at")
}

/// The last member of a path.
fn last_member(path: &str) -> &str {
    tokens(path)
        .into_iter()
        .rev()
        .find_map(|t| match t {
            Token::Member(m) => Some(m),
            Token::Index(_) => None,
        })
        .unwrap_or("")
}

/// Every leaf of `v` with its path, in document order (object members by key). A list of plain
/// values is one leaf; a list of objects or lists is one leaf per item.
pub fn flatten(v: &Value) -> Vec<(String, Value)> {
    fn walk(prefix: String, v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, x) in m {
                    let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(path, x, out);
                }
            }
            Value::Array(a) if a.iter().any(|x| x.is_object() || x.is_array()) => {
                for (i, x) in a.iter().enumerate() {
                    walk(format!("{prefix}[{i}]"), x, out);
                }
            }
            other => out.push((prefix, other.clone())),
        }
    }
    let mut out = Vec::new();
    walk(String::new(), v, &mut out);
    out
}

/// A time in China Standard Time: milliseconds or an RFC 3339 text; anything else as written.
pub fn time_text(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(ms) => Timestamp(ms).to_china_string(),
            None => n.to_string(),
        },
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => Timestamp(t.timestamp_millis()).to_china_string(),
            Err(_) => s.clone(),
        },
        other => plain(other),
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::Null => ABSENT.into(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "（空）".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "（无）".into(),
        Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join("、"),
        Value::Object(m) if m.is_empty() => "（无）".into(),
        // Flattening leaves no non-empty object; should one come, its values without keys.
        Value::Object(m) => m.values().map(plain).collect::<Vec<_>>().join("、"),
    }
}

impl Catalogue {
    /// A catalogue of `(pattern, label)` pairs, every value read as [`Shown::Text`].
    pub fn new(fields: &[(&str, &str)]) -> Self {
        Catalogue::default().fields(fields)
    }

    /// More `(pattern, label)` pairs (a service type's form labels under `form.`).
    pub fn fields(mut self, fields: &[(&str, &str)]) -> Self {
        for (p, zh) in fields {
            self = self.field(p, zh);
        }
        self
    }

    /// Names `pattern` (replacing an earlier label, keeping how its value reads).
    pub fn field(mut self, pattern: &str, zh: &str) -> Self {
        match self.fields.iter_mut().find(|f| f.0 == pattern) {
            Some(f) => f.1 = zh.to_string(),
            None => self.fields.push((pattern.to_string(), zh.to_string(), Shown::Text)),
        }
        self
    }

    /// Says how the values of `pattern` read (the pattern must be named already or is named
    /// 其他字段).
    pub fn shown(mut self, pattern: &str, shown: Shown) -> Self {
        match self.fields.iter_mut().find(|f| f.0 == pattern) {
            Some(f) => f.2 = shown,
            None => self.fields.push((pattern.to_string(), OTHER_FIELD.to_string(), shown)),
        }
        self
    }

    /// Names one value of `pattern` (a code whose label is data, not a constant: the type of an
    /// application by its name). The pattern is named 其他字段 unless named already.
    pub fn value_name(mut self, pattern: &str, code: &str, zh: &str) -> Self {
        if !code.is_empty() && !zh.is_empty() {
            self.values.push((pattern.to_string(), code.to_string(), zh.to_string()));
        }
        self
    }

    /// Leaves `pattern` out of diffs: a field that repeats another one (named, so that it is
    /// not 其他字段 elsewhere).
    pub fn hide(mut self, pattern: &str) -> Self {
        self.hidden.push(pattern.to_string());
        self
    }

    /// The entity's own version actions in Chinese (besides the common ones: 创建, 修改 …).
    pub fn actions(mut self, actions: &[(&str, &str)]) -> Self {
        self.actions.extend(actions.iter().map(|(a, zh)| (a.to_string(), zh.to_string())));
        self
    }

    /// The record's name by its business identity.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    fn entry(&self, pattern: &str) -> Option<&(String, String, Shown)> {
        self.fields.iter().find(|f| f.0 == pattern)
    }

    /// The entry of a member `pattern`: its own, else its parent's `*`.
    fn member_entry(&self, pattern: &str) -> Option<&(String, String, Shown)> {
        self.entry(pattern).or_else(|| {
            let parent = pattern.rsplit_once('.').map(|(p, _)| p)?;
            self.entry(&format!("{parent}.*"))
        })
    }

    /// Whether every member on the path of `path` is named.
    fn knows(&self, path: &str) -> bool {
        walk(path).iter().all(|(t, pat)| matches!(t, Token::Index(_)) || self.member_entry(pat).is_some())
    }

    /// A field in Chinese: the labels along its path joined with ` · `, a list item as
    /// 第 n 项; an unnamed member as 其他字段.
    pub fn label(&self, path: &str) -> String {
        let mut pieces: Vec<String> = Vec::new();
        for (t, pat) in walk(path) {
            match t {
                Token::Member(_) => match self.member_entry(&pat) {
                    Some((_, zh, _)) if zh.is_empty() => {}
                    Some((_, zh, _)) => pieces.push(zh.clone()),
                    None => {
                        pieces.push(OTHER_FIELD.into());
                        break;
                    }
                },
                Token::Index(i) => {
                    let item = format!("第 {} 项", i + 1);
                    match pieces.last_mut() {
                        Some(last) => {
                            last.push(' ');
                            last.push_str(&item);
                        }
                        None => pieces.push(item),
                    }
                }
            }
        }
        if pieces.is_empty() {
            return "内容".into();
        }
        pieces.join(" · ")
    }

    /// A value as a person reads it (`None`: absent, —).
    pub fn value(&self, path: &str, v: Option<&Value>) -> String {
        let Some(v) = v else { return ABSENT.into() };
        let pat = pattern(path);
        let shown = self.member_entry(&pat).map(|e| e.2).unwrap_or_default();
        let time_key = is_time_key(last_member(path));
        let one = |x: &Value| -> String {
            if let Some(code) = x.as_str() {
                if let Some((_, _, zh)) = self.values.iter().find(|(p, c, _)| *p == pat && c == code) {
                    return zh.clone();
                }
            }
            match (shown, x) {
                (_, Value::Null) => ABSENT.into(),
                (Shown::Secret, _) => "已设置".into(),
                (Shown::Time, _) => time_text(x),
                (Shown::Code(_), Value::String(s)) if s.is_empty() => "（空）".into(),
                (Shown::Code(label), Value::String(s)) => label(s).unwrap_or(OTHER_VALUE).into(),
                (Shown::Text, Value::Number(n)) if time_key && n.is_i64() => time_text(x),
                _ => plain(x),
            }
        };
        match v {
            Value::Null if matches!(shown, Shown::Secret) => "未设置".into(),
            Value::Array(a) if !a.is_empty() => a.iter().map(one).collect::<Vec<_>>().join("、"),
            other => one(other),
        }
    }

    /// A version's action in Chinese; an unknown one as 其他操作.
    pub fn action(&self, code: &str) -> String {
        self.actions
            .iter()
            .map(|(a, zh)| (a.as_str(), zh.as_str()))
            .chain(COMMON_ACTIONS.iter().copied())
            .find(|(a, _)| *a == code)
            .map(|(_, zh)| zh.to_string())
            .unwrap_or_else(|| "其他操作".into())
    }

    /// Where a path sorts: for each member on its path the position of its catalogue entry
    /// (its parent's `*`, else last), for each list item its index, so that the fields of one
    /// item stay together and in the catalogue's order.
    fn rank(&self, path: &str) -> Vec<usize> {
        let mut key = Vec::new();
        for (t, pat) in walk(path) {
            match t {
                Token::Member(_) => {
                    let pos = self.fields.iter().position(|f| f.0 == pat).or_else(|| {
                        let parent = pat.rsplit_once('.').map(|(p, _)| p)?;
                        self.fields.iter().position(|f| f.0 == format!("{parent}.*"))
                    });
                    key.push(pos.unwrap_or(usize::MAX));
                }
                Token::Index(i) => key.push(i),
            }
        }
        key
    }

    /// The fields that differ between `old` and `new`, each labelled and its values read, in
    /// the catalogue's order (list items in their order).
    pub fn diff(&self, old: &Value, new: &Value) -> Vec<Change> {
        let a = flatten(old);
        let b = flatten(new);
        let shown = |p: &String| !self.hidden.contains(&pattern(p));
        let mut paths: Vec<&String> = b.iter().map(|(p, _)| p).filter(|p| shown(p)).collect();
        for (p, _) in &a {
            if shown(p) && !b.iter().any(|(q, _)| q == p) {
                paths.push(p);
            }
        }
        let get = |list: &[(String, Value)], p: &str| list.iter().find(|(q, _)| q == p).map(|(_, v)| v.clone());
        let mut out: Vec<(Vec<usize>, Change)> = paths
            .into_iter()
            .filter_map(|p| {
                let (o, n) = (get(&a, p), get(&b, p));
                if o == n {
                    return None;
                }
                // A field that comes or goes without a value says nothing (an empty reason).
                let blank = |v: &Option<Value>| match v {
                    None | Some(Value::Null) => true,
                    Some(Value::String(s)) => s.is_empty(),
                    Some(Value::Array(a)) => a.is_empty(),
                    Some(Value::Object(m)) => m.is_empty(),
                    _ => false,
                };
                if blank(&o) && blank(&n) {
                    return None;
                }
                let (old, mut new) = (self.value(p, o.as_ref()), self.value(p, n.as_ref()));
                if old == new {
                    // Values that read alike but differ (a secret's fingerprint): say it changed.
                    new.push_str("（已更改）");
                }
                Some((self.rank(p), Change { path: p.clone(), label: self.label(p), old, new }))
            })
            .collect();
        out.sort_by(|x, y| x.0.cmp(&y.0));
        out.into_iter().map(|(_, c)| c).collect()
    }

    /// The paths of `data` whose label falls back to 其他字段: a domain's test asserts that a
    /// full record of its entity has none.
    pub fn unlabelled(&self, data: &Value) -> Vec<String> {
        flatten(data).into_iter().map(|(p, _)| p).filter(|p| !self.knows(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_added_and_removed_fields() {
        let a = json!({"name": "甲", "roles": ["x"], "gone": 1, "same": true});
        let b = json!({"name": "乙", "roles": ["x", "y"], "added": 2, "same": true});
        let d = object_diff(&a, &b);
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["added", "gone", "name", "roles"]);
        assert_eq!(d[0].old, None);
        assert_eq!(d[1].new, None);
        assert_eq!(d[2].new, Some(json!("乙")));
        assert!(object_diff(&a, &a).is_empty());
    }

    fn status(s: &str) -> Option<&'static str> {
        match s {
            "valid" => Some("有效"),
            "revoked" => Some("已吊销"),
            _ => None,
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue::new(&[
            ("status", "状态"),
            ("document", ""),
            ("document.holder", "持证主体"),
            ("document.fields", "照面信息"),
            ("document.fields.*", "照面项目"),
            ("document.fields.scope", "经营范围"),
            ("steps", "办理过程"),
            ("steps[].at", "时间"),
            ("steps[].step", "步骤"),
            ("tags", "标签"),
        ])
        .shown("status", Shown::Code(status))
        .shown("steps[].at", Shown::Time)
    }

    #[test]
    fn flattens_nested_objects_and_lists_of_objects() {
        let v = json!({"a": {"b": 1, "c": [1, 2]}, "s": [{"x": 1}, {"x": 2}], "e": {}});
        let paths: Vec<String> = flatten(&v).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, vec!["a.b", "a.c", "e", "s[0].x", "s[1].x"]);
        assert_eq!(pattern("s[10].x[2].y"), "s[].x[].y");
    }

    #[test]
    fn labels_paths_in_chinese_and_never_by_key() {
        let c = catalogue();
        assert_eq!(c.label("document.holder"), "持证主体");
        assert_eq!(c.label("document.fields.scope"), "照面信息 · 经营范围");
        assert_eq!(c.label("document.fields.mode"), "照面信息 · 照面项目");
        assert_eq!(c.label("steps[2].at"), "办理过程 第 3 项 · 时间");
        assert_eq!(c.label("secret_key"), OTHER_FIELD);
        assert_eq!(c.label("steps[0].unknown"), "办理过程 第 1 项 · 其他字段");
        assert_eq!(c.unlabelled(&json!({"status": "valid", "x": {"y": 1}, "steps": [{"at": 1}]})), vec!["x.y"]);
    }

    #[test]
    fn reads_values_times_codes_and_truth() {
        let c = catalogue();
        assert_eq!(c.value("status", Some(&json!("valid"))), "有效");
        assert_eq!(c.value("status", Some(&json!("odd"))), OTHER_VALUE);
        assert_eq!(c.value("steps[0].at", Some(&json!(1_795_464_000_000_i64))), "2026-11-24 04:00:00 +08:00");
        // An uncatalogued time field still reads as a time, never as milliseconds.
        assert_eq!(c.value("decided_at", Some(&json!(1_795_464_000_000_i64))), "2026-11-24 04:00:00 +08:00");
        assert_eq!(c.value("x", Some(&json!("2026-11-23T20:00:00Z"))), "2026-11-23T20:00:00Z");
        assert_eq!(c.value("tags", Some(&json!(["甲", "乙"]))), "甲、乙");
        assert_eq!(c.value("tags", Some(&json!(true))), "是");
        assert_eq!(c.value("tags", None), ABSENT);
        assert_eq!(c.action("revoke"), "吊销");
        assert_eq!(c.action("frobnicate"), "其他操作");
    }

    #[test]
    fn diffs_in_catalogue_order_with_labels_and_read_values() {
        let c = catalogue();
        let a = json!({"status": "valid", "steps": [{"at": 1_795_464_000_000_i64, "step": "提交"}]});
        let b = json!({"status": "revoked", "steps": [{"at": 1_795_464_000_000_i64, "step": "提交"}, {"at": 1_795_467_600_000_i64, "step": "受理"}], "document": {"holder": "康辰"}});
        let d = c.diff(&a, &b);
        let labels: Vec<&str> = d.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, vec!["状态", "持证主体", "办理过程 第 2 项 · 时间", "办理过程 第 2 项 · 步骤"]);
        assert_eq!((d[0].old.as_str(), d[0].new.as_str()), ("有效", "已吊销"));
        assert_eq!(d[1].old, ABSENT);
        assert_eq!(d[2].new, "2026-11-24 05:00:00 +08:00");
        assert!(c.diff(&a, &a).is_empty());
    }

    #[test]
    fn keeps_the_fields_of_one_list_item_together_and_leaves_hidden_ones_out() {
        let c = catalogue().field("steps[].step_zh", "步骤名称").hide("steps[].step_zh");
        let a = json!({"steps": []});
        let b = json!({"steps": [{"at": 1, "step": "a", "step_zh": "甲"}, {"at": 2, "step": "b", "step_zh": "乙"}]});
        let labels: Vec<String> = c.diff(&a, &b).into_iter().map(|c| c.label).collect();
        assert_eq!(
            labels,
            vec![
                "办理过程 第 1 项 · 时间",
                "办理过程 第 1 项 · 步骤",
                "办理过程 第 2 项 · 时间",
                "办理过程 第 2 项 · 步骤"
            ]
        );
        // Nothing to say when an empty field comes with the record.
        assert!(c.diff(&json!({}), &json!({"status": "", "tags": []})).is_empty());
        // Values that read alike but differ are marked as changed.
        let secret = Catalogue::new(&[("pw", "密码")]).shown("pw", Shown::Secret);
        let d = secret.diff(&json!({"pw": "a"}), &json!({"pw": "b"}));
        assert_eq!((d[0].old.as_str(), d[0].new.as_str()), ("已设置", "已设置（已更改）"));
    }
}
