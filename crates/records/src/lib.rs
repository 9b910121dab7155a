//! Records (记录): the door every module uses to show a regulated record's story — its
//! versions with who, when and why, their ledger positions and checkpoints, and the electronic
//! signatures (电子签名) on them. It sits above `identity` (a signature re-authenticates the
//! signer; the history of a user, organization or role is read through identity's own access
//! doors) and below every domain crate, which keeps its own access door and then calls this one.

pub mod esign;
pub mod files;
pub mod history;
pub mod step;

pub use history::{RecordView, VersionView};

// The crates below, under the names the modules use.
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_identity::error::Result;
use yaolian_identity::{auth, orgs, password, roles, totp, users, IdentityConfig, IdentityError};

#[cfg(test)]
mod tests {
    use super::*;

    /// `{:?}` of a signing request shows what is signed but not the password or the code.
    #[test]
    fn a_signing_request_keeps_its_secrets_out_of_debug() {
        let secret = "S3cret-Never-Shown";
        let sign = esign::SignRequest {
            entity: "product",
            entity_id: "1",
            version: 1,
            meaning: "approve",
            password: secret,
            totp: Some(secret),
        };
        let debug = format!("{sign:?}");
        yaolian_core::assert_redacted("SignRequest", &debug, secret);
        assert!(debug.contains("product"), "the rest is still shown: {debug}");
    }
}
