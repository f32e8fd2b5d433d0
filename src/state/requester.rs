//! Requesters in the ticket facts: a keyed hash, never the id (issue 20,
//! README "Ticket facts"). The same requester always hashes to the same
//! value under one key, which is what repeat-contact analysis needs; without
//! the key the hash cannot be reversed by trying every customer id.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::db::Password;

/// The key of the requesters' hash (`state.requester_salt`).
#[derive(Clone)]
pub struct RequesterKey(Hmac<Sha256>);

impl RequesterKey {
    pub fn new(salt: &Password) -> Option<RequesterKey> {
        Hmac::<Sha256>::new_from_slice(salt.expose().as_bytes())
            .ok()
            .map(RequesterKey)
    }

    /// HMAC-SHA-256 of `requester_id`, its first 16 bytes in hex (128 bits:
    /// no two requesters of one helpdesk collide in practice).
    pub fn hash(&self, requester_id: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(requester_id.as_bytes());
        let bytes = mac.finalize().into_bytes();
        bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for RequesterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequesterKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_hmac_sha256_keyed_by_the_salt() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = RequesterKey::new(&Password::new("Jefe".into())).expect("any key length");
        assert_eq!(
            key.hash("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7"
        );
        let other = RequesterKey::new(&Password::new("another key!!!!!".into())).expect("key");
        assert_ne!(other.hash("c1"), key.hash("c1"));
        assert_eq!(key.hash("c1"), key.hash("c1"));
    }
}
