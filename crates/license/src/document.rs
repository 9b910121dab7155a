//! The signed license document: the GB/T 36901 metadata and the fields printed on the license,
//! signed by the issuing authority's SM2 key. This is what an export file holds and what
//! `yaolian license verify FILE --public-key KEY` checks with no database.
//!
//! The signed message is the document's canonical JSON (RFC 8785), so any tool that
//! canonicalizes JSON and verifies SM2 with SM3 (OpenSSL 3: `pkeyutl -verify -digest sm3
//! -pkeyopt distid:1234567812345678`) checks the same bytes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use yaolian_ledger::canonical_json;
use yaolian_ledger::sign;

/// Signature algorithm name written in documents.
pub const SIGNATURE_ALG: &str = "SM2-with-SM3";

/// What the license says, with the metadata of GB/T 36901 (电子证照 总体技术架构) and
/// GB/T 36903/36904 (元数据规范, 标识规范).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseDocument {
    /// 证照名称, e.g. 药品经营许可证.
    pub name: String,
    /// Our type (drug_manufacturing, drug_wholesale, drug_retail, preparation).
    pub kind: String,
    /// 证照类型代码 of the national catalogue.
    pub type_code: String,
    /// 证照编号 (许可证编号), e.g. 浙CB20260007.
    pub number: String,
    /// 证照标识 (GB/T 36902).
    pub identifier: String,
    /// 证照版本: 1 for the first issue, one more for each change or renewal.
    pub version: u16,
    /// 持证主体.
    pub holder: String,
    /// 持证主体代码.
    pub holder_code: String,
    /// 持证主体代码类型, e.g. 统一社会信用代码.
    pub holder_code_type: String,
    /// 颁证单位.
    pub issuer: String,
    /// 颁证单位代码 (its USCC).
    pub issuer_code: String,
    /// 颁证日期, YYYY-MM-DD.
    pub issued_on: String,
    /// 有效期起始日期.
    pub valid_from: String,
    /// 有效期截止日期.
    pub valid_until: String,
    /// 证照颁发机构所属行政区划 (6-digit GB/T 2260 code).
    pub jurisdiction: String,
    /// The license's own fields (照面信息) by key, see `kinds::Kind::fields`.
    pub fields: BTreeMap<String, String>,
}

/// The authority's signature over a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseSignature {
    pub alg: String,
    /// Id of the authority key (SM3 of its public key PEM).
    pub key_id: String,
    /// When the authority signed, RFC 3339.
    pub signed_at: String,
    /// Hex DER SM2 signature over the document's canonical JSON.
    pub value: String,
}

/// A license as exported: the document and its signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedLicense {
    pub license: LicenseDocument,
    pub signature: LicenseSignature,
}

/// Why a document does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("not a license file: {0}")]
    Malformed(String),
    #[error("unsupported signature algorithm {0:?} (expected {SIGNATURE_ALG})")]
    Algorithm(String),
    #[error("the public key is not an SM2 public key in PEM: {0}")]
    Key(String),
    #[error("the signature does not match the license: the file was changed or was signed by another key")]
    BadSignature,
}

impl LicenseDocument {
    /// The bytes the authority signs.
    pub fn message(&self) -> Vec<u8> {
        canonical_json(&serde_json::to_value(self).unwrap_or(serde_json::Value::Null))
    }
}

impl SignedLicense {
    /// Reads an exported license file.
    pub fn from_json(bytes: &[u8]) -> Result<SignedLicense, VerifyError> {
        serde_json::from_slice(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))
    }

    /// Checks the signature under the authority's public key (PEM).
    pub fn verify(&self, public_pem: &str) -> Result<(), VerifyError> {
        self.signature.check(&self.license.message(), public_pem)
    }
}

impl LicenseSignature {
    /// Checks this signature over `message` under the authority's public key (PEM). Any document
    /// the authority seals (a license, an enforcement document) is checked by this one rule.
    pub fn check(&self, message: &[u8], public_pem: &str) -> Result<(), VerifyError> {
        if self.alg != SIGNATURE_ALG {
            return Err(VerifyError::Algorithm(self.alg.clone()));
        }
        let der = hex::decode(self.value.trim()).map_err(|_| VerifyError::BadSignature)?;
        match sign::verify(public_pem, message, &der) {
            Ok(true) => Ok(()),
            Ok(false) => Err(VerifyError::BadSignature),
            Err(e) => Err(VerifyError::Key(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaolian_ledger::sign::KeyPair;

    fn document() -> LicenseDocument {
        LicenseDocument {
            name: "药品经营许可证".into(),
            kind: "drug_retail".into(),
            type_code: "11100000MB0341032Y002".into(),
            number: "浙CB20260001".into(),
            identifier: "1.2.156.3005.2.11100000MB0341032Y002.113300000024870444.20260000001.001.X".into(),
            version: 1,
            holder: "甲大药房".into(),
            holder_code: "91350100M000100Y43".into(),
            holder_code_type: "统一社会信用代码".into(),
            issuer: "浙江省药品监督管理局".into(),
            issuer_code: "113300000024870444".into(),
            issued_on: "2026-11-28".into(),
            valid_from: "2026-11-28".into(),
            valid_until: "2031-11-27".into(),
            jurisdiction: "330000".into(),
            fields: [("business_scope".to_string(), "处方药、非处方药".to_string())].into_iter().collect(),
        }
    }

    fn signed(key: &KeyPair) -> SignedLicense {
        let license = document();
        let value = hex::encode(key.sign(&license.message()));
        SignedLicense {
            license,
            signature: LicenseSignature {
                alg: SIGNATURE_ALG.into(),
                key_id: "k".into(),
                signed_at: "2026-11-28T10:00:00+08:00".into(),
                value,
            },
        }
    }

    #[test]
    fn a_signed_license_verifies_and_any_change_breaks_it() {
        let key = KeyPair::generate();
        let s = signed(&key);
        let bytes = serde_json::to_vec_pretty(&s).unwrap_or_default();
        let back = SignedLicense::from_json(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.verify(&key.public_pem()), Ok(()));

        // Another authority's key does not verify it.
        assert_eq!(back.verify(&KeyPair::generate().public_pem()), Err(VerifyError::BadSignature));

        // Every single changed byte of the file fails: a changed holder, a changed date, a
        // changed signature digit, or bytes that are no longer a license file.
        let text = String::from_utf8(bytes).unwrap_or_default();
        for (from, to) in
            [("甲大药房", "乙大药房"), ("2031-11-27", "2031-11-28"), ("\"value\": \"30", "\"value\": \"31")]
        {
            assert!(text.contains(from), "fixture holds {from}");
            let changed = text.replacen(from, to, 1);
            if let Ok(c) = SignedLicense::from_json(changed.as_bytes()) {
                assert!(c.verify(&key.public_pem()).is_err(), "{from} -> {to} must fail");
            }
        }
        let extra = text.replacen("\"number\"", "\"extra\": \"x\", \"number\"", 1);
        assert!(matches!(SignedLicense::from_json(extra.as_bytes()), Err(VerifyError::Malformed(_))));
    }
}
