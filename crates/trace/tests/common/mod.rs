//! What the trace tests share: a registered product to put codes on.

use yaolian_access::ClientInfo;
use yaolian_registry::products::{self, NewProduct, Product};
use yaolian_store::Store;

/// Registers the `n`-th test product of company `mah` (approval number 国药准字H2023{n:04})
/// with its 药品标识码 and GTINs.
pub async fn product(store: &Store, mah: i64, n: u32, drug_code: &str, gtins: &[&str]) -> Product {
    let new = NewProduct {
        approval_number: format!("国药准字H2023{n:04}"),
        generic_name: ["阿莫西林胶囊", "盐酸二甲双胍片"][n as usize % 2].into(),
        dosage_form: "片剂".into(),
        strength: "0.5g".into(),
        mah_org_id: mah,
        drug_code: Some(drug_code.into()),
        gtins: gtins.iter().map(|g| (*g).to_string()).collect(),
        ..Default::default()
    };
    products::create(store, &yaolian_access::run_as_system::principal(), &new, &ClientInfo::default()).await.unwrap()
}
