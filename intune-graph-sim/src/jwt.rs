//! The simulator's own JSON Web Token handling: splitting and decoding
//! compact JWTs, checking RS256/PS256 signatures against an RSA public key,
//! and signing RS256 tokens as the fake OIDC issuers do.
//!
//! Written separately from the provider's assertion code on purpose (the
//! simulator shares no code with the client), and strict: anything that is
//! not a well-formed three-part JWT with JSON objects is rejected.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RSA_PSS_2048_8192_SHA256, RsaKeyPair,
    UnparsedPublicKey,
};
use serde_json::{Map, Value};

/// A decoded, not yet verified, JWT.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// Splits and decodes `text`; `None` if it is not a compact JWS with
    /// JSON object header and claims.
    pub fn decode(text: &str) -> Option<Jwt> {
        let mut parts = text.trim().split('.');
        let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let object = |part: &str| -> Option<Map<String, Value>> {
            match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()? {
                Value::Object(map) => Some(map),
                _ => None,
            }
        };
        Some(Jwt {
            header: object(header)?,
            claims: object(claims)?,
            signing_input: format!("{header}.{claims}"),
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }

    /// A string member of the header.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A numeric date claim (`exp`, `nbf`, `iat`) in Unix seconds.
    pub fn claim_time(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    /// Whether `aud` is, or (as an array) contains, `audience`.
    pub fn has_audience(&self, audience: &str) -> bool {
        match self.claims.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
            _ => false,
        }
    }

    /// Checks the signature with the RSA public key (`RSAPublicKey` DER) for
    /// the header's `alg`, which must be one of `allowed`.
    pub fn verify(&self, public_key: &[u8], allowed: &[&str]) -> bool {
        let Some(alg) = self.header_str("alg").filter(|alg| allowed.contains(alg)) else {
            return false;
        };
        let algorithm = match alg {
            "RS256" => &RSA_PKCS1_2048_8192_SHA256,
            "PS256" => &RSA_PSS_2048_8192_SHA256,
            _ => return false,
        };
        UnparsedPublicKey::new(algorithm, public_key)
            .verify(self.signing_input.as_bytes(), &self.signature)
            .is_ok()
    }
}

/// The `RSAPublicKey` DER of an RSA key pair given as PKCS#8 DER.
pub fn public_key_of(pkcs8: &[u8]) -> Option<Vec<u8>> {
    let pair = RsaKeyPair::from_pkcs8(pkcs8).ok()?;
    Some(pair.public().as_ref().to_vec())
}

/// Signs `claims` as an RS256 JWT with the PKCS#8 RSA key.
pub fn sign_rs256(pkcs8: &[u8], claims: &Value) -> Option<String> {
    let pair = RsaKeyPair::from_pkcs8(pkcs8).ok()?;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "simulator"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .ok()?;
    Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = include_bytes!("../../tests/fixtures/auth/issuer-key.pk8");
    const OTHER_KEY: &[u8] = include_bytes!("../../tests/fixtures/auth/app-key.pk8");

    #[test]
    fn signs_decodes_and_verifies() {
        let token = sign_rs256(KEY, &json!({"iss": "i", "aud": ["a", "b"], "exp": 5})).unwrap();
        let jwt = Jwt::decode(&token).unwrap();
        assert_eq!(jwt.header_str("alg"), Some("RS256"));
        assert_eq!(jwt.claim_str("iss"), Some("i"));
        assert_eq!(jwt.claim_time("exp"), Some(5));
        assert!(jwt.has_audience("b") && !jwt.has_audience("c"));
        let public = public_key_of(KEY).unwrap();
        assert!(jwt.verify(&public, &["RS256"]));
        assert!(!jwt.verify(&public, &["PS256"]), "alg not allowed");
        assert!(!jwt.verify(&public_key_of(OTHER_KEY).unwrap(), &["RS256"]));
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 2, 'x');
        assert!(Jwt::decode(&tampered).is_none_or(|jwt| !jwt.verify(&public, &["RS256"])));
    }

    #[test]
    fn malformed_tokens() {
        for text in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.",
            "e30.W10.",
            "bm90IGpzb24.e30.",
        ] {
            assert!(Jwt::decode(text).is_none(), "{text}");
        }
        // `{}` . `{}` . empty signature decodes (and fails verification).
        assert!(Jwt::decode("e30.e30.").is_some());
    }
}
