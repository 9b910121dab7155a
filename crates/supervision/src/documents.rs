//! Enforcement documents (执法文书) as the bureau seals them: the 行政处罚事先告知书 and the
//! 行政处罚决定书 (or 不予行政处罚决定书), built from the case, signed with the bureau's SM2 key —
//! the very key that seals its licenses — and checked with no database by
//! `yaolian document verify FILE --public-key KEY`.
//!
//! The signed message is the document's canonical JSON (RFC 8785) as for licenses. The exported
//! file is itself canonical JSON, so a file is only accepted when its bytes are exactly the
//! canonical form of what it parses to (one final newline allowed): changing any single byte —
//! a letter, a digit of the signature, even white space — makes it fail.
//!
//! What a decision says follows 《中华人民共和国行政处罚法》第五十九条 (party, facts and
//! evidence, kind and basis of the penalty, how and by when to perform it, the ways and periods to
//! seek review or sue, the deciding authority and the date); a notice follows 第四十四条 (the
//! intended penalty with its facts, reasons and basis, and the rights to state, defend and ask
//! for a hearing). The remedy periods are 《行政复议法》(2023) 第二十条 (60 days) and
//! 《行政诉讼法》第四十六条 (six months).

use crate::plans::zh;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_license::document::{LicenseSignature, VerifyError, SIGNATURE_ALG};

/// Kinds of administrative penalty a drug regulator imposes (《行政处罚法》第九条; 行政拘留 is not
/// the regulator's), code and Chinese name.
pub const PENALTY_KINDS: &[(&str, &str)] = &[
    ("warning", "警告"),
    ("criticism", "通报批评"),
    ("fine", "罚款"),
    ("confiscate_gains", "没收违法所得"),
    ("confiscate_goods", "没收非法财物"),
    ("suspend_license", "暂扣许可证件"),
    ("downgrade", "降低资质等级"),
    ("revoke_license", "吊销许可证件"),
    ("restrict_business", "限制开展生产经营活动"),
    ("suspend_business", "责令停产停业"),
    ("close_down", "责令关闭"),
    ("restrict_practice", "限制从业"),
];

/// The penalties that weigh most on a company's credit (the license, the business itself).
pub const SEVERE_KINDS: &[&str] =
    &["suspend_license", "revoke_license", "restrict_business", "suspend_business", "close_down", "restrict_practice"];

/// Document kinds, code and Chinese name.
pub const KINDS: &[(&str, &str)] = &[("notice", "行政处罚事先告知书"), ("decision", "行政处罚决定书")];

/// One penalty of a case: its kind and, for money, the amount in fen (分).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Penalty {
    /// One of [`PENALTY_KINDS`]' codes.
    pub kind: String,
    #[serde(default)]
    pub amount_fen: i64,
    #[serde(default)]
    pub note: String,
}

/// A heading and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub heading: String,
    pub text: String,
}

/// What a sealed document says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcementDocument {
    /// 文书名称, e.g. 行政处罚决定书.
    pub name: String,
    /// One of [`KINDS`]' codes.
    pub kind: String,
    /// 文书文号, e.g. 浙药监罚〔2026〕1号.
    pub number: String,
    /// The case's number (案件编号).
    pub case_number: String,
    /// 当事人 and its code.
    pub party: String,
    pub party_code: String,
    pub party_code_type: String,
    /// The deciding authority and its code.
    pub issuer: String,
    pub issuer_code: String,
    /// The authority's 6-digit administrative division (GB/T 2260).
    pub jurisdiction: String,
    /// YYYY-MM-DD.
    pub issued_on: String,
    pub sections: Vec<Section>,
}

/// What the seal names about itself; signed together with the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealHeader {
    pub alg: String,
    /// Id of the authority key (SM3 of its public key PEM).
    pub key_id: String,
    /// When the authority sealed, RFC 3339.
    pub signed_at: String,
}

/// What the authority signs: the document and the seal's header, so that every byte of an
/// exported file but the signature value itself is covered by the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub document: EnforcementDocument,
    pub signature: SealHeader,
}

impl Sealed {
    /// The bytes the authority signs (and the bureau stores).
    pub fn message(&self) -> Vec<u8> {
        canonical(self)
    }

    /// The verification code printed under the QR: 24 hex of the SM3 of the signed bytes.
    pub fn verify_code(&self) -> String {
        yaolian_ledger::HashAlg::Sm3.digest(&[&self.message()]).to_hex()[..24].to_string()
    }
}

/// A document as exported: the document and the authority's seal on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedDocument {
    pub document: EnforcementDocument,
    pub signature: LicenseSignature,
}

/// Why a document file does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    #[error("not an enforcement document file: {0}")]
    Malformed(String),
    #[error("the file is not in canonical form (RFC 8785): it was changed after export")]
    NotCanonical,
    #[error("unsupported signature algorithm {0:?} (expected {SIGNATURE_ALG})")]
    Algorithm(String),
    #[error("the public key is not an SM2 public key in PEM: {0}")]
    Key(String),
    #[error("the seal does not match the document: the file was changed or was sealed by another key")]
    BadSignature,
}

impl From<VerifyError> for DocumentError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Malformed(m) => DocumentError::Malformed(m),
            VerifyError::Algorithm(a) => DocumentError::Algorithm(a),
            VerifyError::Key(k) => DocumentError::Key(k),
            VerifyError::BadSignature => DocumentError::BadSignature,
        }
    }
}

fn canonical<T: Serialize>(value: &T) -> Vec<u8> {
    yaolian_ledger::canonical_json(&serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
}

impl SignedDocument {
    /// The export file: canonical JSON and a final newline.
    pub fn to_file(&self) -> Vec<u8> {
        let mut bytes = canonical(self);
        bytes.push(b'\n');
        bytes
    }

    /// What was signed: the document and the seal's header.
    pub fn sealed(&self) -> Sealed {
        let s = &self.signature;
        Sealed {
            document: self.document.clone(),
            signature: SealHeader { alg: s.alg.clone(), key_id: s.key_id.clone(), signed_at: s.signed_at.clone() },
        }
    }

    /// Checks the seal under the authority's public key (PEM). The signature value must be
    /// lower-case hex, as exported: another spelling of the same bytes is a changed file.
    pub fn verify(&self, public_pem: &str) -> Result<(), DocumentError> {
        let value = &self.signature.value;
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(DocumentError::BadSignature);
        }
        Ok(self.signature.check(&self.sealed().message(), public_pem)?)
    }

    /// Reads an export file strictly (its bytes must be canonical) and checks its seal.
    pub fn verify_file(bytes: &[u8], public_pem: &str) -> Result<SignedDocument, DocumentError> {
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let signed: SignedDocument =
            serde_json::from_slice(body).map_err(|e| DocumentError::Malformed(e.to_string()))?;
        if canonical(&signed) != body {
            return Err(DocumentError::NotCanonical);
        }
        signed.verify(public_pem)?;
        Ok(signed)
    }
}

/// A day as it is written on a document, `2026年12月2日` (the text itself when not YYYY-MM-DD).
pub fn chinese_date(day: &str) -> String {
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) => {
            use chrono::Datelike;
            format!("{}年{}月{}日", d.year(), d.month(), d.day())
        }
        Err(_) => day.to_string(),
    }
}

/// An amount in fen as yuan, e.g. `120000.00元`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}元", f / 100, f % 100)
}

/// The penalties in words, e.g. `警告；罚款120000.00元`.
pub fn penalties_text(list: &[Penalty]) -> String {
    let each = list.iter().map(|p| {
        let mut t = zh(PENALTY_KINDS, &p.kind).to_string();
        if p.amount_fen > 0 {
            t.push_str(&yuan(p.amount_fen));
        }
        if !p.note.trim().is_empty() {
            t.push_str(&format!("（{}）", p.note.trim()));
        }
        t
    });
    each.collect::<Vec<_>>().join("；")
}

/// What a document is built from: the case as it stands and the two parties' facts.
pub struct Facts<'a> {
    pub kind: &'a str,
    pub number: &'a str,
    pub case_number: &'a str,
    pub party: (&'a str, &'a str),
    pub issuer: (&'a str, &'a str),
    pub jurisdiction: &'a str,
    pub issued_on: &'a str,
    pub facts: &'a str,
    pub legal_basis: &'a str,
    pub penalty_basis: &'a str,
    pub penalties: &'a [Penalty],
    pub hearing_right: bool,
    /// For a decision: the party's statement or hearing, and how it was taken into account.
    pub statement: &'a str,
    /// For a decision: no penalty (不予行政处罚).
    pub no_penalty: bool,
}

fn section(heading: &str, text: impl Into<String>) -> Section {
    Section { heading: heading.into(), text: text.into() }
}

/// Builds the notice (告知书, 第四十四条) or the decision (决定书, 第五十九条).
pub fn build(f: &Facts) -> EnforcementDocument {
    let mut sections = vec![section("当事人", format!("{}（统一社会信用代码：{}）", f.party.0, f.party.1))];
    let name = if f.kind == "notice" {
        sections.push(section("违法事实", f.facts));
        sections.push(section("违反的规定", f.legal_basis));
        let intended =
            if f.penalties.is_empty() { "不予行政处罚".to_string() } else { penalties_text(f.penalties) };
        sections.push(section(
            "拟作出的行政处罚及依据",
            format!("依据{}，拟作出如下行政处罚：{intended}。", f.penalty_basis),
        ));
        let mut rights = "根据《中华人民共和国行政处罚法》第四十四条、第四十五条，你（单位）享有陈述、申辩的权利，\
            可在收到本告知书之日起五个工作日内向本局提出陈述、申辩意见；逾期未提出的，视为放弃此权利。"
            .to_string();
        if f.hearing_right {
            rights.push_str(
                "根据《中华人民共和国行政处罚法》第六十三条、第六十四条，你（单位）有要求听证的权利，\
                 可在收到本告知书之日起五日内提出听证要求；逾期未提出的，视为放弃此权利。",
            );
        }
        sections.push(section("当事人的权利", rights));
        "行政处罚事先告知书"
    } else if f.no_penalty {
        sections.push(section("违法事实和证据", f.facts));
        sections.push(section("陈述、申辩或者听证情况", f.statement));
        sections.push(section("决定", format!("依据{}，决定不予行政处罚。", f.penalty_basis)));
        sections.push(section("救济途径和期限", REMEDY));
        "不予行政处罚决定书"
    } else {
        sections.push(section("违法事实和证据", f.facts));
        sections.push(section("违反的规定", f.legal_basis));
        sections.push(section("陈述、申辩或者听证情况", f.statement));
        let decided = penalties_text(f.penalties);
        sections.push(section(
            "行政处罚的种类和依据",
            format!("依据{}，决定给予如下行政处罚：{decided}。", f.penalty_basis),
        ));
        let fine: i64 = f.penalties.iter().map(|p| p.amount_fen).sum();
        let perform = if fine > 0 {
            format!(
                "罚没款共计{}，自收到本决定书之日起十五日内缴至指定银行或者通过电子支付系统缴纳（《中华人民共和国行政处罚法》第六十七条）。\
                 到期不缴纳的，每日按罚款数额的百分之三加处罚款（第七十二条）。",
                yuan(fine)
            )
        } else {
            "自收到本决定书之日起执行。".to_string()
        };
        sections.push(section("履行方式和期限", perform));
        sections.push(section("救济途径和期限", REMEDY));
        "行政处罚决定书"
    };
    sections.push(section("作出决定的机关和日期", format!("{}　{}", f.issuer.0, chinese_date(f.issued_on))));
    EnforcementDocument {
        name: name.into(),
        kind: f.kind.into(),
        number: f.number.into(),
        case_number: f.case_number.into(),
        party: f.party.0.into(),
        party_code: f.party.1.into(),
        party_code_type: "统一社会信用代码".into(),
        issuer: f.issuer.0.into(),
        issuer_code: f.issuer.1.into(),
        jurisdiction: f.jurisdiction.into(),
        issued_on: f.issued_on.into(),
        sections,
    }
}

const REMEDY: &str =
    "如不服本决定，可以在收到本决定书之日起六十日内依法申请行政复议（《中华人民共和国行政复议法》第二十条），\
     或者在六个月内依法向人民法院提起行政诉讼（《中华人民共和国行政诉讼法》第四十六条）。\
     申请行政复议或者提起行政诉讼期间，行政处罚不停止执行，法律另有规定的除外。";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use yaolian_ledger::sign::KeyPair;

    fn decision() -> EnforcementDocument {
        let penalties = [
            Penalty { kind: "warning".into(), amount_fen: 0, note: String::new() },
            Penalty { kind: "fine".into(), amount_fen: 12_000_000, note: String::new() },
        ];
        build(&Facts {
            kind: "decision",
            number: "浙药监罚〔2026〕1号",
            case_number: "CF-2026-00001",
            party: ("杭州康辰药业有限公司", "91330100MA2KC00018"),
            issuer: ("浙江省药品监督管理局", "113300000024870444"),
            jurisdiction: "330000",
            issued_on: "2026-12-02",
            facts: "经查，当事人生产的头孢曲松钠批号 K2608 经抽检含量不符合规定。",
            legal_basis: "《中华人民共和国药品管理法》第九十八条第三款",
            penalty_basis: "《中华人民共和国药品管理法》第一百一十七条第一款",
            penalties: &penalties,
            hearing_right: true,
            statement: "当事人未提出陈述、申辩。",
            no_penalty: false,
        })
    }

    fn sealed(key: &KeyPair) -> SignedDocument {
        let header = SealHeader {
            alg: SIGNATURE_ALG.into(),
            key_id: yaolian_store::ledger::key_id(&key.public_pem()),
            signed_at: "2026-12-02T10:00:00+08:00".into(),
        };
        let sealed = Sealed { document: decision(), signature: header.clone() };
        let der = key.sign(&sealed.message());
        let signature = LicenseSignature {
            alg: header.alg,
            key_id: header.key_id,
            signed_at: header.signed_at,
            value: hex::encode(der),
        };
        SignedDocument { document: sealed.document, signature }
    }

    #[test]
    fn a_decision_names_what_article_59_asks_for() {
        let d = decision();
        let headings: Vec<&str> = d.sections.iter().map(|s| s.heading.as_str()).collect();
        for h in [
            "当事人",
            "违法事实和证据",
            "行政处罚的种类和依据",
            "履行方式和期限",
            "救济途径和期限",
            "作出决定的机关和日期",
        ] {
            assert!(headings.contains(&h), "{h} missing from {headings:?}");
        }
        let kinds = d.sections.iter().find(|s| s.heading == "行政处罚的种类和依据").unwrap();
        assert!(kinds.text.contains("警告；罚款120000.00元"), "{}", kinds.text);
        assert_eq!(d.name, "行政处罚决定书");
    }

    #[test]
    fn a_sealed_decision_verifies_and_every_changed_byte_fails() {
        let key = KeyPair::generate();
        let pem = key.public_pem();
        let signed = sealed(&key);
        let file = signed.to_file();
        assert_eq!(SignedDocument::verify_file(&file, &pem).unwrap(), signed);
        // Another key's public half does not open it.
        let other = KeyPair::generate().public_pem();
        assert_eq!(SignedDocument::verify_file(&file, &other), Err(DocumentError::BadSignature));
        // Every single byte changed (its low bit flipped) fails, white space included.
        for i in 0..file.len() {
            let mut changed = file.clone();
            changed[i] ^= 1;
            assert!(SignedDocument::verify_file(&changed, &pem).is_err(), "byte {i} changed and still verified");
        }
        // So does a space inserted where JSON would allow it.
        let mut spaced = file.clone();
        spaced.insert(1, b' ');
        assert_eq!(SignedDocument::verify_file(&spaced, &pem), Err(DocumentError::NotCanonical));
        // The same signature spelt in capitals is a changed file too.
        let upper = String::from_utf8(file.clone())
            .unwrap()
            .replace(&signed.signature.value, &signed.signature.value.to_uppercase());
        assert_eq!(SignedDocument::verify_file(upper.as_bytes(), &pem), Err(DocumentError::BadSignature));
        // An unknown field is refused, not ignored.
        let text = String::from_utf8(file).unwrap().replacen("{\"document\"", "{\"extra\":1,\"document\"", 1);
        assert!(matches!(SignedDocument::verify_file(text.as_bytes(), &pem), Err(DocumentError::Malformed(_))));
    }

    #[test]
    fn a_notice_tells_the_rights_and_the_hearing_only_when_due() {
        let mut f = Facts {
            kind: "notice",
            number: "浙药监罚告〔2026〕1号",
            case_number: "CF-2026-00001",
            party: ("甲", "1"),
            issuer: ("乙", "2"),
            jurisdiction: "330000",
            issued_on: "2026-12-02",
            facts: "事实",
            legal_basis: "规定",
            penalty_basis: "依据",
            penalties: &[],
            hearing_right: true,
            statement: "",
            no_penalty: false,
        };
        let rights =
            |d: &EnforcementDocument| d.sections.iter().find(|s| s.heading == "当事人的权利").unwrap().text.clone();
        assert!(rights(&build(&f)).contains("听证"));
        f.hearing_right = false;
        assert!(!rights(&build(&f)).contains("听证"));
        assert_eq!(build(&f).name, "行政处罚事先告知书");
    }

    #[test]
    fn days_read_in_chinese() {
        assert_eq!(chinese_date("2026-12-02"), "2026年12月2日");
        assert_eq!(chinese_date("x"), "x");
    }

    #[test]
    fn amounts_read_as_yuan() {
        assert_eq!(yuan(0), "0.00元");
        assert_eq!(yuan(5), "0.05元");
        assert_eq!(yuan(12_000_000), "120000.00元");
    }
}
