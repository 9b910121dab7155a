//! Signatures and sealed keys for the ledger: SM2 (GB/T 32918) signatures with a distinguishing
//! identifier (default `1234567812345678`), public keys as SubjectPublicKeyInfo PEM and
//! signatures as DER `SEQUENCE { r INTEGER, s INTEGER }`, the forms OpenSSL 3 reads and writes;
//! private keys sealed with SM4 (GB/T 32907) in GCM mode.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::AesGcm;
use rand::RngCore;
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::elliptic_curve::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use sm2::{PublicKey, SecretKey};
use thiserror::Error;

/// The default SM2 distinguishing identifier (GB/T 35276-2017 §5.3 / GM/T 0009).
pub const DEFAULT_DISTID: &str = "1234567812345678";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignError {
    #[error("not an SM2 public key in SubjectPublicKeyInfo PEM")]
    BadPublicKey,
    #[error("not a DER-encoded SM2 signature")]
    BadSignature,
    #[error("sealed key cannot be opened (wrong key or damaged)")]
    Unseal,
    #[error("key material is malformed")]
    BadKey,
}

/// SM4 in Galois/Counter Mode with a 96-bit nonce.
type Sm4Gcm = AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// The site's SM4 sealing key (站点密封密钥): secrets kept at rest — the authorities' license
/// signing keys, the site's ledger key, users' TOTP secrets — are sealed under it with SM4-GCM
/// as nonce ‖ ciphertext ‖ tag. `Debug` never shows the key.
#[derive(Clone)]
pub struct Sealing(pub [u8; 16]);

impl std::fmt::Debug for Sealing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealing(..)")
    }
}

impl Sealing {
    /// Seals `plain` with a fresh random nonce.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = Sm4Gcm::new((&self.0).into());
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher.encrypt((&nonce).into(), plain).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ct);
        out
    }

    /// Opens what [`Sealing::seal`] made; a wrong key or a changed byte is refused.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SignError> {
        if sealed.len() < 12 + 16 {
            return Err(SignError::Unseal);
        }
        let cipher = Sm4Gcm::new((&self.0).into());
        let (nonce, ct) = sealed.split_at(12);
        cipher.decrypt(nonce.into(), ct).map_err(|_| SignError::Unseal)
    }
}

/// SM4-GCM (RFC 8998 §3.1: SM4 in GCM, 96-bit nonce, 128-bit tag) with a caller's nonce and
/// additional data: ciphertext ‖ tag. For a stream cut into chunks under one key (an electronic
/// submission's transfer), where the nonce is derived from the chunk's index and never repeats
/// under that key.
pub fn sm4_gcm_seal(key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], plain: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::Payload;
    let cipher = Sm4Gcm::new(key.into());
    cipher.encrypt(nonce.into(), Payload { msg: plain, aad }).unwrap_or_default()
}

/// Opens what [`sm4_gcm_seal`] made; a changed byte, nonce, additional data or key is refused.
pub fn sm4_gcm_open(key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SignError> {
    use aes_gcm::aead::Payload;
    if sealed.len() < 16 {
        return Err(SignError::Unseal);
    }
    let cipher = Sm4Gcm::new(key.into());
    cipher.decrypt(nonce.into(), Payload { msg: sealed, aad }).map_err(|_| SignError::Unseal)
}

/// A site or user key pair.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair(SM2, private key hidden)")
    }
}

impl KeyPair {
    pub fn generate() -> KeyPair {
        loop {
            let secret = SecretKey::random(&mut rand::rngs::OsRng);
            if let Ok(signing) = SigningKey::new(DEFAULT_DISTID, &secret) {
                return KeyPair { signing };
            }
        }
    }

    pub fn from_secret_bytes(bytes: &[u8]) -> Result<KeyPair, SignError> {
        let signing = SigningKey::from_slice(DEFAULT_DISTID, bytes).map_err(|_| SignError::BadKey)?;
        Ok(KeyPair { signing })
    }

    /// The public key as SubjectPublicKeyInfo PEM.
    pub fn public_pem(&self) -> String {
        let point = self.signing.verifying_key().as_affine();
        PublicKey::from_affine(*point).ok().and_then(|k| k.to_public_key_pem(LineEnding::LF).ok()).unwrap_or_default()
    }

    /// SM2 signature over `message` (SM3 of Z ‖ message inside), DER-encoded.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = self.signing.sign(message);
        der_encode(&sig.to_bytes())
    }

    /// Seals the private key with SM4-GCM under a 128-bit key: nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, key: &[u8; 16]) -> Vec<u8> {
        Sealing(*key).seal(self.signing.to_bytes().as_slice())
    }

    /// The private scalar, for this crate's public-key decryption only.
    pub(crate) fn secret_bytes(&self) -> Vec<u8> {
        self.signing.to_bytes().to_vec()
    }

    pub fn unseal(sealed: &[u8], key: &[u8; 16]) -> Result<KeyPair, SignError> {
        KeyPair::from_secret_bytes(&Sealing(*key).open(sealed)?)
    }
}

/// Verifies a DER signature over `message` with a PEM public key and the default identifier.
pub fn verify(public_pem: &str, message: &[u8], der_signature: &[u8]) -> Result<bool, SignError> {
    let public = PublicKey::from_public_key_pem(public_pem.trim()).map_err(|_| SignError::BadPublicKey)?;
    let key = VerifyingKey::new(DEFAULT_DISTID, public).map_err(|_| SignError::BadPublicKey)?;
    let raw = der_decode(der_signature)?;
    let sig = Signature::from_slice(&raw).map_err(|_| SignError::BadSignature)?;
    Ok(key.verify(message, &sig).is_ok())
}

fn der_integer(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut v: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    out.push(0x02);
    out.push(v.len() as u8);
    out.extend(v);
}

/// `r ‖ s` (32 bytes each) as DER.
fn der_encode(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(72);
    der_integer(&mut body, r);
    der_integer(&mut body, s);
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// DER `SEQUENCE { INTEGER, INTEGER }` as `r ‖ s`, strictly (short lengths, no trailing bytes).
fn der_decode(der: &[u8]) -> Result<Vec<u8>, SignError> {
    let bad = SignError::BadSignature;
    if der.len() < 8 || der[0] != 0x30 || der[1] as usize != der.len() - 2 || der[1] & 0x80 != 0 {
        return Err(bad);
    }
    let mut out = Vec::with_capacity(64);
    let mut rest = &der[2..];
    for _ in 0..2 {
        if rest.len() < 2 || rest[0] != 0x02 || rest[1] & 0x80 != 0 {
            return Err(SignError::BadSignature);
        }
        let len = rest[1] as usize;
        if len == 0 || rest.len() < 2 + len {
            return Err(SignError::BadSignature);
        }
        let int = &rest[2..2 + len];
        let int = if int.len() > 1 && int[0] == 0 { &int[1..] } else { int };
        if int.len() > 32 {
            return Err(SignError::BadSignature);
        }
        out.extend(std::iter::repeat_n(0u8, 32 - int.len()));
        out.extend_from_slice(int);
        rest = &rest[2 + len..];
    }
    if !rest.is_empty() {
        return Err(bad);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::generic_array::GenericArray;
    use sm4::cipher::BlockEncrypt;

    /// RFC 8998 Appendix A.1, the SM4-GCM example: key, IV, AAD, plaintext, ciphertext and tag
    /// as published.
    #[test]
    fn sm4_gcm_gives_rfc_8998_a1() {
        let h = |s: &str| hex::decode(s.replace(' ', "")).unwrap_or_default();
        let key: [u8; 16] = h("0123456789ABCDEFFEDCBA9876543210").try_into().unwrap_or([0; 16]);
        let iv: [u8; 12] = h("00001234567800000000ABCD").try_into().unwrap_or([0; 12]);
        let aad = h("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let plain = h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB CCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFF EEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
        let expected = h("17F399F08C67D5EE19D0DC9969C4BB7D 5FD46FD3756489069157B282BB200735 D82710CA5C22F0CCFA7CBF93D496AC15 A56834CBCF98C397B4024A2691233B8D 83DE3541E4C2B58177E065A9BF7B62EC");
        let sealed = sm4_gcm_seal(&key, &iv, &aad, &plain);
        assert_eq!(hex::encode_upper(&sealed), hex::encode_upper(&expected));
        assert_eq!(sm4_gcm_open(&key, &iv, &aad, &sealed), Ok(plain.clone()));
        let mut flipped = sealed.clone();
        flipped[3] ^= 0x01;
        assert_eq!(sm4_gcm_open(&key, &iv, &aad, &flipped), Err(SignError::Unseal));
        assert_eq!(sm4_gcm_open(&key, &iv, b"other", &sealed), Err(SignError::Unseal));
    }

    #[test]
    fn sm4_reference_vector() {
        // GB/T 32907-2016, Appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
        let key = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let cipher = sm4::Sm4::new_from_slice(&key).unwrap();
        let mut block = GenericArray::clone_from_slice(&key);
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    /// The signature example on the recommended curve from GB/T 32918.5-2017 (GM/T 0003.5-2012),
    /// Appendix A: private key d, user id "1234567812345678", message "message digest", the
    /// published (r, s). Also checks that d gives the published public key.
    #[test]
    fn published_gbt_32918_example_verifies() {
        let unhex = |s: &str| hex::decode(s.replace(' ', "")).unwrap();
        let d = unhex("3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8");
        let qx = unhex("09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020");
        let qy = unhex("CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13");
        let r = unhex("F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3");
        let s = unhex("B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA");
        let pair = KeyPair::from_secret_bytes(&d).unwrap();
        let point = pair.signing.verifying_key().to_sec1_bytes();
        assert_eq!(point[0], 0x04);
        assert_eq!(&point[1..33], qx.as_slice());
        assert_eq!(&point[33..65], qy.as_slice());
        let der = der_encode(&[r.as_slice(), s.as_slice()].concat());
        let pem = pair.public_pem();
        assert_eq!(verify(&pem, b"message digest", &der), Ok(true));
        assert_eq!(verify(&pem, b"message digesT", &der), Ok(false));
        // Our own signature over the same message verifies too (k is random, so r differs).
        assert_eq!(verify(&pem, b"message digest", &pair.sign(b"message digest")), Ok(true));
    }

    #[test]
    fn sign_verify_round_trip_and_tamper() {
        let k = KeyPair::generate();
        let pem = k.public_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        let sig = k.sign(b"tree head");
        assert_eq!(sig[0], 0x30);
        assert_eq!(verify(&pem, b"tree head", &sig), Ok(true));
        assert_eq!(verify(&pem, b"tree heaD", &sig), Ok(false));
        let other = KeyPair::generate();
        assert_eq!(verify(&other.public_pem(), b"tree head", &sig), Ok(false));
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(verify(&pem, b"tree head", &bad), Ok(false));
        assert_eq!(verify(&pem, b"tree head", &sig[1..]), Err(SignError::BadSignature));
        assert_eq!(verify("not a key", b"x", &sig), Err(SignError::BadPublicKey));
    }

    #[test]
    fn sealed_key_opens_only_with_its_key() {
        let k = KeyPair::generate();
        let sealing = [7u8; 16];
        let sealed = k.seal(&sealing);
        let opened = KeyPair::unseal(&sealed, &sealing).unwrap();
        assert_eq!(opened.public_pem(), k.public_pem());
        assert_eq!(KeyPair::unseal(&sealed, &[8u8; 16]).unwrap_err(), SignError::Unseal);
        let mut damaged = sealed.clone();
        damaged[20] ^= 1;
        assert_eq!(KeyPair::unseal(&damaged, &sealing).unwrap_err(), SignError::Unseal);
    }

    /// Our signatures verify with OpenSSL 3 and OpenSSL's with ours (skipped when no openssl).
    #[test]
    fn openssl_interoperates_both_ways() {
        let Ok(out) = std::process::Command::new("openssl").arg("version").output() else {
            eprintln!("note: openssl not found: skipping the SM2 interoperability test");
            return;
        };
        if !String::from_utf8_lossy(&out.stdout).starts_with("OpenSSL 3") {
            eprintln!("note: OpenSSL 3 not found: skipping the SM2 interoperability test");
            return;
        }
        let dir = std::env::temp_dir().join(format!("yaolian-sm2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = |args: &[&str]| {
            let o = std::process::Command::new("openssl").args(args).current_dir(&dir).output().unwrap();
            (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
        };
        let msg = b"{\"root_hash\":\"00\",\"tree_size\":1}";
        std::fs::write(dir.join("msg"), msg).unwrap();
        // Ours → OpenSSL.
        let k = KeyPair::generate();
        std::fs::write(dir.join("pub.pem"), k.public_pem()).unwrap();
        std::fs::write(dir.join("sig.der"), k.sign(msg)).unwrap();
        let (ok, text) = run(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-rawin",
            "-in",
            "msg",
            "-sigfile",
            "sig.der",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ]);
        assert!(ok && text.contains("Signature Verified Successfully"), "{text}");
        // OpenSSL → ours.
        let (ok, text) = run(&["genpkey", "-algorithm", "SM2", "-out", "ossl.key"]);
        assert!(ok, "{text}");
        let (ok, text) = run(&["pkey", "-in", "ossl.key", "-pubout", "-out", "ossl.pub"]);
        assert!(ok, "{text}");
        let (ok, text) = run(&[
            "pkeyutl",
            "-sign",
            "-inkey",
            "ossl.key",
            "-rawin",
            "-in",
            "msg",
            "-out",
            "ossl.sig",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ]);
        assert!(ok, "{text}");
        let pem = std::fs::read_to_string(dir.join("ossl.pub")).unwrap();
        let sig = std::fs::read(dir.join("ossl.sig")).unwrap();
        assert_eq!(verify(&pem, msg, &sig), Ok(true));
        assert_eq!(verify(&pem, b"other message", &sig), Ok(false));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
