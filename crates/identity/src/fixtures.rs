//! A small, fixed world for tests of this and later crates: the national regulator, one
//! province and two companies, plus a helper to add users. Codes carry valid GB 32100-2015
//! check characters (the standard's own example 91350100M000100Y43 among them).

use crate::error::Result;
use crate::model::OrgKind;
use crate::orgs::{self, NewOrg};
use crate::users::{self, NewUser};
use crate::{roles, ClientInfo, IdentityConfig, Principal};
use yaolian_store::Store;

/// The password of every fixture account.
pub const PASSWORD: &str = "Yaolian@2026";

/// Ids of the fixture organizations.
pub struct World {
    pub national: i64,
    pub province: i64,
    pub company_a: i64,
    pub company_b: i64,
}

/// Installs the built-in roles and creates the fixture organizations.
pub async fn world(store: &Store) -> Result<World> {
    roles::ensure_builtin(store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let c = ClientInfo::default();
    let mut ids = Vec::new();
    for (kind, name, code, parent) in [
        (OrgKind::National, "国家药品监督管理局", "11100000MB0341032Y", None),
        (OrgKind::Provincial, "浙江省药品监督管理局", "113300000024870444", Some(0)),
        (OrgKind::Company, "甲制药有限公司", "91350100M000100Y43", Some(1)),
        (OrgKind::Company, "乙医药有限公司", "91110000600037341L", Some(1)),
    ] {
        let parent_id = parent.map(|i: usize| ids[i]);
        let new = NewOrg { kind, name: name.into(), code: code.into(), parent_id, region: String::new() };
        ids.push(orgs::create(store, &sys, &new, &c).await?.id);
    }
    Ok(World { national: ids[0], province: ids[1], company_a: ids[2], company_b: ids[3] })
}

/// Creates an account as `by` with [`PASSWORD`] and returns its id.
pub async fn user(
    store: &Store,
    by: &Principal,
    org: i64,
    username: &str,
    master: bool,
    roles: &[&str],
) -> Result<i64> {
    let new = NewUser {
        org_id: org,
        username: username.into(),
        display_name: format!("测试{username}"),
        password: PASSWORD.into(),
        email: String::new(),
        phone: String::new(),
        is_master: master,
        roles: roles.iter().map(|s| s.to_string()).collect(),
    };
    Ok(users::create(store, &IdentityConfig::default(), by, &new, &ClientInfo::default()).await?.id)
}
