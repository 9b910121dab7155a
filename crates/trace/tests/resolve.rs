//! Codes resolve to registered products through the registry, on SQLite and PostgreSQL; a
//! 20-digit NMPA code with an unknown 药品标识码 is refused with a clear error.

#![allow(clippy::unwrap_used)]

mod common;

use yaolian_identity::fixtures;
use yaolian_store::testing::each_backend;
use yaolian_trace::codes::Code;
use yaolian_trace::resolve::{product_of, ResolveError};

#[tokio::test]
async fn codes_resolve_to_registered_products() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let p = common::product(&store, w.company_a, 1, "8123456", &["09506000134352"]).await;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();

        let nmpa = Code::parse("81234561234567890123", today).unwrap();
        assert_eq!(product_of(&store, &nmpa).await.unwrap().id, p.id);
        let gs1 = Code::parse("]d20109506000134352\u{1d}2112345", today).unwrap();
        assert_eq!(product_of(&store, &gs1).await.unwrap().approval_number, "国药准字H20230001");

        let unknown = Code::parse("81999991234567890123", today).unwrap();
        match product_of(&store, &unknown).await {
            Err(ResolveError::Code(e)) => {
                assert_eq!(e.rule, "nmpa_unknown_product");
                assert!(e.message.contains("8199999"), "{e}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // A valid GTIN that no product carries (GS1 example 4006381333931).
        let stranger = Code::parse("(01)04006381333931", today).unwrap();
        assert!(matches!(product_of(&store, &stranger).await, Err(ResolveError::Code(e)) if e.rule == "gtin_unknown_product"));
    })
    .await;
}
