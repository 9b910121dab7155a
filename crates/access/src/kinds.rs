//! The kinds that decide what a principal may reach: kind of organization, data scope of a
//! role, and the separated administrators of 三员分立.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Kind of organization (机构类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 国家药品监督管理局
    National,
    /// 省级药品监督管理局
    Provincial,
    /// 市级市场监督管理局
    Municipal,
    /// 企业 (MAH, manufacturer, distributor, pharmacy, hospital …)
    Company,
    /// 企业场地 (生产地址 / 仓库 / 门店)
    Site,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::National => "national",
            OrgKind::Provincial => "provincial",
            OrgKind::Municipal => "municipal",
            OrgKind::Company => "company",
            OrgKind::Site => "site",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        Some(match s {
            "national" => OrgKind::National,
            "provincial" => OrgKind::Provincial,
            "municipal" => OrgKind::Municipal,
            "company" => OrgKind::Company,
            "site" => OrgKind::Site,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgKind::National => "国家局",
            OrgKind::Provincial => "省局",
            OrgKind::Municipal => "市局",
            OrgKind::Company => "企业",
            OrgKind::Site => "场地",
        }
    }

    pub fn is_regulator(self) -> bool {
        matches!(self, OrgKind::National | OrgKind::Provincial | OrgKind::Municipal)
    }

    /// The kinds of organization this kind may sit under.
    pub fn allowed_parents(self) -> &'static [OrgKind] {
        match self {
            OrgKind::National => &[],
            OrgKind::Provincial => &[OrgKind::National],
            OrgKind::Municipal => &[OrgKind::Provincial],
            OrgKind::Company => &[OrgKind::National, OrgKind::Provincial, OrgKind::Municipal],
            OrgKind::Site => &[OrgKind::Company],
        }
    }
}

/// Data scope of a role (数据范围).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The user's own organization only (本单位).
    Own,
    /// The user's organization and everything below it (本单位及下级).
    Subtree,
    /// Everything (全部).
    All,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::Subtree => "subtree",
            Scope::All => "all",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "own" => Scope::Own,
            "subtree" => Scope::Subtree,
            "all" => Scope::All,
            _ => return None,
        })
    }
}

/// The separated administrators of 三员分立.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdminKind {
    /// 系统管理员
    System,
    /// 安全管理员
    Security,
    /// 审计管理员
    Audit,
}

impl AdminKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminKind::System => "system",
            AdminKind::Security => "security",
            AdminKind::Audit => "audit",
        }
    }
    pub fn parse(s: &str) -> Option<AdminKind> {
        Some(match s {
            "system" => AdminKind::System,
            "security" => AdminKind::Security,
            "audit" => AdminKind::Audit,
            _ => return None,
        })
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            AdminKind::System => "系统管理员",
            AdminKind::Security => "安全管理员",
            AdminKind::Audit => "审计管理员",
        }
    }
}
