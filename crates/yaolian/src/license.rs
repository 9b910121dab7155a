//! `yaolian license …`: offline verification of an exported license.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;
use yaolian_license::SignedLicense;

#[derive(Subcommand)]
pub enum LicenseCommand {
    /// Verify an exported license file against the issuing authority's public key, with no
    /// database and no network: exit 0 when the signature holds, 1 when it does not.
    Verify {
        file: PathBuf,
        /// The authority's SM2 public key (PEM), e.g. from /api/v1/public/authority-keys/{key_id}.
        #[arg(long)]
        public_key: PathBuf,
    },
}

pub fn run(cmd: LicenseCommand) -> Result<()> {
    match cmd {
        LicenseCommand::Verify { file, public_key } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pem =
                std::fs::read_to_string(&public_key).with_context(|| format!("reading {}", public_key.display()))?;
            let signed = SignedLicense::from_json(&bytes).with_context(|| format!("{}", file.display()))?;
            signed.verify(&pem).with_context(|| format!("{}: signature check failed", file.display()))?;
            let l = &signed.license;
            println!("valid signature: {} {} (version {})", l.name, l.number, l.version);
            println!("  holder      {} ({})", l.holder, l.holder_code);
            println!("  issuer      {} ({})", l.issuer, l.issuer_code);
            println!("  validity    {} to {}", l.valid_from, l.valid_until);
            println!("  identifier  {}", l.identifier);
            println!("  signed at   {} with key {}", signed.signature.signed_at, signed.signature.key_id);
            println!("note: this checks the signature only; whether the license is still valid today (not revoked or superseded) is answered by the public verification page.");
            Ok(())
        }
    }
}
