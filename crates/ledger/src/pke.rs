//! SM2 public-key encryption (GB/T 32918.4-2016, 公钥加密算法) on the recommended curve
//! (GB/T 32918.5-2017): the per-transfer SM4 key of an electronic submission is sent to the
//! receiver encrypted under its SM2 public key. Built from the RustCrypto `sm2` crate's curve
//! arithmetic and the `sm3` hash; the ciphertext is C1 ‖ C3 ‖ C2 (§6.1 step A8), C1 the
//! uncompressed point 04 ‖ x1 ‖ y1.

use sm2::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use sm2::elliptic_curve::{Field, PrimeField};
use sm2::{AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, PublicKey, Scalar, SecretKey};
use sm3::{Digest, Sm3};

use crate::sign::SignError;

/// At most this many bytes are encrypted (a key, a short secret).
pub const MAX_PLAINTEXT: usize = 4096;
const C1_LEN: usize = 65;
const C3_LEN: usize = 32;

/// The key derivation function of §5.4.3: SM3(Z ‖ ct) blocks, ct a 32-bit big-endian counter
/// from 1, cut to `len` bytes.
fn kdf(z: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut ct: u32 = 1;
    while out.len() < len {
        let mut h = Sm3::new();
        h.update(z);
        h.update(ct.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        ct += 1;
    }
    out.truncate(len);
    out
}

fn coordinates(p: &AffinePoint) -> Option<(Vec<u8>, Vec<u8>)> {
    let e = p.to_encoded_point(false);
    Some((e.x()?.to_vec(), e.y()?.to_vec()))
}

/// Encrypts with the given random `k` (1 ≤ k < n); `None` when k is out of range or the derived
/// key stream is all zero (the standard then takes another k). For the published examples.
pub fn encrypt_with(public: &PublicKey, message: &[u8], k: &[u8; 32]) -> Option<Vec<u8>> {
    let k: Scalar = Option::from(Scalar::from_repr(FieldBytes::clone_from_slice(k)))?;
    if bool::from(k.is_zero()) || message.is_empty() || message.len() > MAX_PLAINTEXT {
        return None;
    }
    let c1 = (ProjectivePoint::GENERATOR * k).to_affine();
    let shared = (public.to_projective() * k).to_affine();
    let (x2, y2) = coordinates(&shared)?;
    let t = kdf(&[x2.as_slice(), y2.as_slice()].concat(), message.len());
    if t.iter().all(|b| *b == 0) {
        return None;
    }
    let c2: Vec<u8> = message.iter().zip(&t).map(|(m, t)| m ^ t).collect();
    let mut h = Sm3::new();
    h.update(&x2);
    h.update(message);
    h.update(&y2);
    let c3 = h.finalize();
    let mut out = c1.to_encoded_point(false).as_bytes().to_vec();
    out.extend_from_slice(&c3);
    out.extend_from_slice(&c2);
    Some(out)
}

/// Encrypts `message` (1 to [`MAX_PLAINTEXT`] bytes) to `public` with a fresh random k.
pub fn encrypt(public: &PublicKey, message: &[u8]) -> Result<Vec<u8>, SignError> {
    if message.is_empty() || message.len() > MAX_PLAINTEXT {
        return Err(SignError::BadKey);
    }
    loop {
        let k = Scalar::random(&mut rand::rngs::OsRng);
        if let Some(c) = encrypt_with(public, message, &k.to_repr().into()) {
            return Ok(c);
        }
    }
}

/// Decrypts C1 ‖ C3 ‖ C2 with `secret`: refuses a C1 not on the curve (§7.1 step B1) and a C3
/// that does not match (step B6).
pub fn decrypt(secret: &SecretKey, cipher: &[u8]) -> Result<Vec<u8>, SignError> {
    if cipher.len() <= C1_LEN + C3_LEN || cipher.len() > C1_LEN + C3_LEN + MAX_PLAINTEXT {
        return Err(SignError::Unseal);
    }
    let (c1, rest) = cipher.split_at(C1_LEN);
    let (c3, c2) = rest.split_at(C3_LEN);
    let point = EncodedPoint::from_bytes(c1).map_err(|_| SignError::Unseal)?;
    let c1: AffinePoint = Option::from(AffinePoint::from_encoded_point(&point)).ok_or(SignError::Unseal)?;
    let shared = (ProjectivePoint::from(c1) * *secret.to_nonzero_scalar()).to_affine();
    let (x2, y2) = coordinates(&shared).ok_or(SignError::Unseal)?;
    let t = kdf(&[x2.as_slice(), y2.as_slice()].concat(), c2.len());
    if t.iter().all(|b| *b == 0) {
        return Err(SignError::Unseal);
    }
    let message: Vec<u8> = c2.iter().zip(&t).map(|(c, t)| c ^ t).collect();
    let mut h = Sm3::new();
    h.update(&x2);
    h.update(&message);
    h.update(&y2);
    if h.finalize().as_slice() != c3 {
        return Err(SignError::Unseal);
    }
    Ok(message)
}

/// Encrypts `message` to the SM2 public key in SubjectPublicKeyInfo PEM (a receiver's
/// published key).
pub fn encrypt_to_pem(public_pem: &str, message: &[u8]) -> Result<Vec<u8>, SignError> {
    use sm2::elliptic_curve::pkcs8::DecodePublicKey;
    let public = PublicKey::from_public_key_pem(public_pem.trim()).map_err(|_| SignError::BadPublicKey)?;
    encrypt(&public, message)
}

impl crate::sign::KeyPair {
    /// Decrypts what [`encrypt_to_pem`] made for this key pair's public key.
    pub fn decrypt(&self, cipher: &[u8]) -> Result<Vec<u8>, SignError> {
        let secret = SecretKey::from_slice(&self.secret_bytes()).map_err(|_| SignError::BadKey)?;
        decrypt(&secret, cipher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        let v = hex::decode(s).unwrap_or_default();
        let mut a = [0u8; 32];
        a.copy_from_slice(&v);
        a
    }

    /// GB/T 32918.5-2017 Annex C (= GM/T 0003.5-2012 Annex C): encryption of "encryption
    /// standard" on the recommended curve with the annex's dB and k; the values as OpenSSL's
    /// `test/sm2_internal_test.c` (`sm2_crypt_test`) carries them.
    #[test]
    fn the_published_example() {
        let d = hex32("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
        let secret = SecretKey::from_slice(&d).unwrap_or_else(|e| panic!("{e}"));
        let public = secret.public_key();
        let xy = public.to_encoded_point(false);
        assert_eq!(
            hex::encode_upper(xy.x().map(|x| x.to_vec()).unwrap_or_default()),
            "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
        );
        assert_eq!(
            hex::encode_upper(xy.y().map(|y| y.to_vec()).unwrap_or_default()),
            "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
        );
        let k = hex32("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21");
        let c = encrypt_with(&public, b"encryption standard", &k).unwrap_or_default();
        let expected = concat!(
            "04",
            "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73",
            "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0",
            "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766",
            "21886CA989CA9C7D58087307CA93092D651EFA"
        );
        assert_eq!(hex::encode_upper(&c), expected);
        assert_eq!(decrypt(&secret, &c).as_deref(), Ok(&b"encryption standard"[..]));
    }

    #[test]
    fn round_trip_and_refusals() {
        let secret = SecretKey::random(&mut rand::rngs::OsRng);
        let key = [7u8; 16];
        let c = encrypt(&secret.public_key(), &key).unwrap_or_default();
        assert_eq!(decrypt(&secret, &c).as_deref(), Ok(&key[..]));
        let mut bad = c.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(decrypt(&secret, &bad), Err(SignError::Unseal));
        let other = SecretKey::random(&mut rand::rngs::OsRng);
        assert_eq!(decrypt(&other, &c), Err(SignError::Unseal));
        let mut off_curve = c.clone();
        off_curve[10] ^= 1;
        assert_eq!(decrypt(&secret, &off_curve), Err(SignError::Unseal));
        assert_eq!(decrypt(&secret, &c[..90]), Err(SignError::Unseal));
        // Through a key pair and its published PEM, as a transfer's receiver does.
        let pair = crate::sign::KeyPair::generate();
        let c = encrypt_to_pem(&pair.public_pem(), &key).unwrap_or_default();
        assert_eq!(pair.decrypt(&c).as_deref(), Ok(&key[..]));
        assert_eq!(crate::sign::KeyPair::generate().decrypt(&c), Err(SignError::Unseal));
        assert_eq!(encrypt_to_pem("not a key", &key), Err(SignError::BadPublicKey));
    }
}
