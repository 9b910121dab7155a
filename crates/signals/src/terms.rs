//! The event terms reports are coded to (不良反应名称): preferred terms in the manner of MedDRA
//! (one term per medical concept, grouped by system organ class, 系统器官分类), with codes of
//! this project's own — MedDRA itself is licensed and is not shipped. A site may code to
//! MedDRA in its own systems and map to these codes at the API.

/// System organ classes (系统器官分类): code and Chinese name.
pub const SOCS: &[(&str, &str)] = &[
    ("01", "皮肤及皮下组织类疾病"),
    ("02", "胃肠系统疾病"),
    ("03", "各类神经系统疾病"),
    ("04", "全身性疾病及给药部位各种反应"),
    ("05", "免疫系统疾病"),
    ("06", "呼吸系统、胸及纵隔疾病"),
    ("07", "心脏器官疾病"),
    ("08", "血管与淋巴管类疾病"),
    ("09", "肝胆系统疾病"),
    ("10", "肾脏及泌尿系统疾病"),
    ("11", "血液及淋巴系统疾病"),
    ("12", "代谢及营养类疾病"),
    ("13", "精神病类"),
    ("14", "肌肉骨骼及结缔组织疾病"),
    ("15", "眼器官疾病"),
    ("16", "耳及迷路类疾病"),
    ("17", "各类检查"),
];

/// A preferred term: its code (E, the class's two digits, two of its own), Chinese and English
/// names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

const fn t(code: &'static str, zh: &'static str, en: &'static str) -> Term {
    Term { code, zh, en }
}

/// Every term, by class.
pub const TERMS: &[Term] = &[
    t("E0101", "皮疹", "Rash"),
    t("E0102", "瘙痒", "Pruritus"),
    t("E0103", "荨麻疹", "Urticaria"),
    t("E0104", "斑丘疹", "Rash maculo-papular"),
    t("E0105", "多形性红斑", "Erythema multiforme"),
    t("E0106", "史蒂文斯-约翰逊综合征", "Stevens-Johnson syndrome"),
    t("E0107", "中毒性表皮坏死松解症", "Toxic epidermal necrolysis"),
    t("E0108", "血管性水肿", "Angioedema"),
    t("E0109", "光敏反应", "Photosensitivity reaction"),
    t("E0110", "脱发", "Alopecia"),
    t("E0201", "恶心", "Nausea"),
    t("E0202", "呕吐", "Vomiting"),
    t("E0203", "腹泻", "Diarrhoea"),
    t("E0204", "腹痛", "Abdominal pain"),
    t("E0205", "便秘", "Constipation"),
    t("E0206", "消化不良", "Dyspepsia"),
    t("E0207", "胃肠道出血", "Gastrointestinal haemorrhage"),
    t("E0208", "口干", "Dry mouth"),
    t("E0301", "头痛", "Headache"),
    t("E0302", "头晕", "Dizziness"),
    t("E0303", "嗜睡", "Somnolence"),
    t("E0304", "震颤", "Tremor"),
    t("E0305", "惊厥", "Seizure"),
    t("E0306", "感觉减退", "Hypoaesthesia"),
    t("E0307", "味觉障碍", "Dysgeusia"),
    t("E0401", "发热", "Pyrexia"),
    t("E0402", "寒战", "Chills"),
    t("E0403", "乏力", "Asthenia"),
    t("E0404", "注射部位疼痛", "Injection site pain"),
    t("E0405", "外周水肿", "Oedema peripheral"),
    t("E0406", "胸部不适", "Chest discomfort"),
    t("E0501", "过敏性休克", "Anaphylactic shock"),
    t("E0502", "过敏反应", "Hypersensitivity"),
    t("E0601", "呼吸困难", "Dyspnoea"),
    t("E0602", "咳嗽", "Cough"),
    t("E0603", "喉头水肿", "Laryngeal oedema"),
    t("E0604", "支气管痉挛", "Bronchospasm"),
    t("E0701", "心悸", "Palpitations"),
    t("E0702", "心动过速", "Tachycardia"),
    t("E0703", "心律失常", "Arrhythmia"),
    t("E0801", "低血压", "Hypotension"),
    t("E0802", "高血压", "Hypertension"),
    t("E0803", "潮红", "Flushing"),
    t("E0804", "静脉炎", "Phlebitis"),
    t("E0901", "肝功能异常", "Hepatic function abnormal"),
    t("E0902", "药物性肝损伤", "Drug-induced liver injury"),
    t("E0903", "黄疸", "Jaundice"),
    t("E1001", "急性肾损伤", "Acute kidney injury"),
    t("E1002", "血尿", "Haematuria"),
    t("E1003", "尿潴留", "Urinary retention"),
    t("E1101", "白细胞减少", "Leukopenia"),
    t("E1102", "血小板减少", "Thrombocytopenia"),
    t("E1103", "粒细胞缺乏", "Agranulocytosis"),
    t("E1104", "贫血", "Anaemia"),
    t("E1201", "低钾血症", "Hypokalaemia"),
    t("E1202", "低血糖", "Hypoglycaemia"),
    t("E1203", "高血糖", "Hyperglycaemia"),
    t("E1204", "食欲减退", "Decreased appetite"),
    t("E1301", "失眠", "Insomnia"),
    t("E1302", "焦虑", "Anxiety"),
    t("E1303", "幻觉", "Hallucination"),
    t("E1401", "肌痛", "Myalgia"),
    t("E1402", "关节痛", "Arthralgia"),
    t("E1403", "横纹肌溶解", "Rhabdomyolysis"),
    t("E1404", "肌腱断裂", "Tendon rupture"),
    t("E1501", "视物模糊", "Vision blurred"),
    t("E1601", "耳鸣", "Tinnitus"),
    t("E1602", "听力下降", "Hypoacusis"),
    t("E1701", "丙氨酸氨基转移酶升高", "Alanine aminotransferase increased"),
    t("E1702", "血肌酐升高", "Blood creatinine increased"),
    t("E1703", "心电图QT间期延长", "Electrocardiogram QT prolonged"),
];

/// The term of a code.
pub fn find(code: &str) -> Option<&'static Term> {
    TERMS.iter().find(|t| t.code == code)
}

/// The term whose code or Chinese name is `text` (an import's cell may carry either).
pub fn resolve(text: &str) -> Option<&'static Term> {
    let text = text.trim();
    TERMS.iter().find(|t| t.code == text || t.zh == text || t.en.eq_ignore_ascii_case(text))
}

/// The Chinese name of a code, or the code itself when unknown.
pub fn zh(code: &str) -> &str {
    find(code).map(|t| t.zh).unwrap_or(code)
}

/// The system organ class of a term.
pub fn soc_zh(code: &str) -> &'static str {
    let class = code.get(1..3).unwrap_or("");
    SOCS.iter().find(|(c, _)| *c == class).map(|(_, z)| *z).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_name_their_class() {
        for (i, term) in TERMS.iter().enumerate() {
            assert!(TERMS[i + 1..].iter().all(|u| u.code != term.code && u.zh != term.zh), "{} twice", term.code);
            assert!(!soc_zh(term.code).is_empty(), "{} has no class", term.code);
        }
        assert_eq!(resolve(" 皮疹 ").map(|t| t.code), Some("E0101"));
        assert_eq!(resolve("rash").map(|t| t.code), Some("E0101"));
        assert_eq!(resolve("E0902").map(|t| t.zh), Some("药物性肝损伤"));
        assert!(resolve("不存在的反应").is_none());
    }
}
