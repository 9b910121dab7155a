//! `yaolian document …`: offline verification of an exported enforcement document
//! (行政处罚决定书, 告知书) sealed by a bureau.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;
use yaolian_supervision::documents::SignedDocument;

#[derive(Subcommand)]
pub enum DocumentCommand {
    /// Verify an exported enforcement document against the bureau's public key, with no database
    /// and no network: exit 0 when the seal holds over the file exactly as exported, 1 otherwise.
    Verify {
        file: PathBuf,
        /// The bureau's SM2 public key (PEM), e.g. from /api/v1/public/authority-keys/{key_id}.
        #[arg(long)]
        public_key: PathBuf,
    },
}

pub fn run(cmd: DocumentCommand) -> Result<()> {
    match cmd {
        DocumentCommand::Verify { file, public_key } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pem =
                std::fs::read_to_string(&public_key).with_context(|| format!("reading {}", public_key.display()))?;
            let signed = SignedDocument::verify_file(&bytes, &pem)
                .with_context(|| format!("{}: seal check failed", file.display()))?;
            let d = &signed.document;
            println!("valid seal: {} {}", d.name, d.number);
            println!("  party       {} ({})", d.party, d.party_code);
            println!("  issuer      {} ({})", d.issuer, d.issuer_code);
            println!("  issued on   {}", d.issued_on);
            println!("  case        {}", d.case_number);
            println!("  signed at   {} with key {}", signed.signature.signed_at, signed.signature.key_id);
            println!("note: this checks the seal only; where the case stands today is answered by the public verification page.");
            Ok(())
        }
    }
}
