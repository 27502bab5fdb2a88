//! Tripay's two signatures (integrations.md §1.3, §1.5): lowercase hex HMAC-SHA256 keyed with
//! the merchant's private key.

use aws_lc_rs::hmac;

fn hmac_hex(key: &str, message: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    hex::encode(hmac::sign(&key, message).as_ref())
}

/// Signature of `POST /transaction/create`: over `merchant_code + merchant_ref + amount`.
pub fn transaction_signature(
    private_key: &str,
    merchant_code: &str,
    merchant_ref: &str,
    amount: i64,
) -> String {
    hmac_hex(
        private_key,
        format!("{merchant_code}{merchant_ref}{amount}").as_bytes(),
    )
}

/// Signature of a callback: over the body bytes exactly as sent.
pub fn callback_signature(private_key: &str, raw_body: &[u8]) -> String {
    hmac_hex(private_key, raw_body)
}

/// Whether `presented` (trimmed, any case) is the callback signature of `raw_body`, compared in
/// constant time over the decoded digests.
pub fn verify_callback(private_key: &str, raw_body: &[u8], presented: &str) -> bool {
    let Ok(presented) = hex::decode(presented.trim().to_ascii_lowercase()) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, private_key.as_bytes());
    hmac::verify(&key, raw_body, &presented).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sim-private-key-0001";
    /// integrations.md §1.5: exactly these 312 bytes.
    const CALLBACK: &str = r#"{"reference":"T1234500000000000001","merchant_ref":"INV-20250115-7KQ3","payment_method":"BRI Virtual Account","payment_method_code":"BRIVA","total_amount":150000,"fee_merchant":4250,"fee_customer":0,"total_fee":4250,"amount_received":145750,"is_closed_payment":1,"status":"PAID","paid_at":1736935200,"note":null}"#;

    #[test]
    fn the_transaction_vector() {
        assert_eq!(
            transaction_signature(KEY, "T12345", "INV-20250115-7KQ3", 150_000),
            "e9a70c46fdf41fb60d65d4b33cef953a4d3c213af41e6871ee8628b906e19850"
        );
    }

    #[test]
    fn the_callback_vector_over_the_exact_bytes() {
        assert_eq!(CALLBACK.len(), 312);
        let good = "a02c475ab06a72b297b3b661ddda5e13993feabd5d0272c237246c180cfca36d";
        assert_eq!(callback_signature(KEY, CALLBACK.as_bytes()), good);
        assert!(verify_callback(KEY, CALLBACK.as_bytes(), good));
        assert!(verify_callback(
            KEY,
            CALLBACK.as_bytes(),
            &format!("  {}\n", good.to_uppercase())
        ));
        let value: serde_json::Value = serde_json::from_str(CALLBACK).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        assert!(!verify_callback(KEY, pretty.as_bytes(), good));
        assert!(!verify_callback("other-key", CALLBACK.as_bytes(), good));
        assert!(!verify_callback(KEY, CALLBACK.as_bytes(), "zz"));
        assert!(!verify_callback(KEY, CALLBACK.as_bytes(), ""));
        assert!(!verify_callback(KEY, CALLBACK.as_bytes(), &good[..62]));
    }

    #[test]
    fn the_pretty_printed_vector() {
        // The same content with two-space indentation signs differently (integrations.md §1.5).
        let pretty = pretty_in_field_order();
        let compact: serde_json::Value = serde_json::from_str(CALLBACK).unwrap();
        let reread: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(reread, compact, "same content");
        assert_eq!(
            callback_signature(KEY, pretty.as_bytes()),
            "061bf907ce6f34815d819e867dc547632af4a8142e99e676e47bd8e3ee3a8fbe"
        );
        let compact_signature = "a02c475ab06a72b297b3b661ddda5e13993feabd5d0272c237246c180cfca36d";
        assert!(!verify_callback(KEY, pretty.as_bytes(), compact_signature));
    }

    /// Two-space indentation keeping the body's field order (serde_json sorts without the
    /// `preserve_order` feature).
    fn pretty_in_field_order() -> String {
        let mut out = String::from("{\n");
        let fields = [
            ("reference", "\"T1234500000000000001\""),
            ("merchant_ref", "\"INV-20250115-7KQ3\""),
            ("payment_method", "\"BRI Virtual Account\""),
            ("payment_method_code", "\"BRIVA\""),
            ("total_amount", "150000"),
            ("fee_merchant", "4250"),
            ("fee_customer", "0"),
            ("total_fee", "4250"),
            ("amount_received", "145750"),
            ("is_closed_payment", "1"),
            ("status", "\"PAID\""),
            ("paid_at", "1736935200"),
            ("note", "null"),
        ];
        for (i, (k, v)) in fields.iter().enumerate() {
            let comma = if i + 1 < fields.len() { "," } else { "" };
            out.push_str(&format!("  \"{k}\": {v}{comma}\n"));
        }
        out.push('}');
        out
    }
}
