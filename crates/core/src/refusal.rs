//! A refusal as a person reads it: the rule of a [`FieldError`] said in Chinese about the
//! field's label (`联系电话为必填项`), for pages. The `message` of a field error stays English
//! for logs and the API; a page that knows the field's label shows this sentence instead, and
//! a module with rules of its own handles those first and falls back to this one (see
//! `trace::labels::refusal`). Never falls back to the English message.

/// The Chinese sentence for a refusal of the field labelled `label` under `rule`.
pub fn sentence(label: &str, rule: &str) -> String {
    let (name, arg) = rule.split_once(':').unwrap_or((rule, ""));
    let (from, to) = arg.split_once("..").unwrap_or(("", ""));
    match name {
        "required" | "non_empty" => format!("{label}为必填项"),
        "one_of" if !arg.is_empty() => {
            let choices: Vec<&str> = arg.split(',').filter(|c| !c.is_empty()).collect();
            format!("{label}不是可用的值，应为其中之一：{}", choices.join("、"))
        }
        "length" if !to.is_empty() => format!("{label}的长度应为 {from} 至 {to} 个字符"),
        "range" if !to.is_empty() => format!("{label}应在 {from} 至 {to} 之间"),
        "date" => format!("{label}不是有效的日期，应写作 YYYY-MM-DD"),
        "datetime" => format!("{label}不是有效的时间，应写作 YYYY-MM-DD HH:MM:SS"),
        "exists" => format!("{label}所指的记录不存在"),
        "unique" => format!("{label}已被使用，请换一个"),
        "format" if arg == "phone" => {
            format!("{label}应为 11 位手机号或带区号的固定电话（如 0571-88886666）")
        }
        "format" if arg == "email" => format!("{label}应为电子邮箱地址（如 name@example.cn）"),
        "format" | "charset" => format!("{label}的格式不正确"),
        "org_pick" => format!("{label}：未找到这个机构，请输入名称或代码的一部分，再从列表中选择"),
        "duplicate" => format!("{label}与已上传的另一份文件内容相同，请勿重复上传"),
        "cas_format" => format!("{label}的格式应为 2–7 位数字、2 位数字和 1 位校验数字，以连字符连接（如 64-17-5）"),
        "cas_check" => format!("{label}的校验位不正确，请核对 CAS 号是否抄错"),
        "quantity" => format!("{label}应为不小于 0 的数字，最多 3 位小数（如 12.5）"),
        "quantity_places" => format!("{label}最多保留 3 位小数"),
        "quantity_max" => format!("{label}超出了可登记的最大数量"),
        "positive" => format!("{label}应大于 0"),
        "limit" => format!("{label}超过了单次领用限量 {arg}，请分次申请或由库管员调整限量"),
        "fefo" => format!("{label}：还有更早到期的批次（{arg}），请按近效期先出领用，或填写改领此批的原因"),
        "two_person" => format!("{label}：管制化学品须双人签名，请由另一位有权限的人员输入其用户名和密码复核"),
        "other_person" => format!("{label}须由另一人办理，不能是本人"),
        "unit" => format!("{label}不是可用的计量单位"),
        "ghs" => format!("{label}应为 GHS01 至 GHS09 的危险象形图代码"),
        "hazard_code" => format!("{label}应为 H/P 代码（如 H225、P210、P303+P361+P353）"),
        "major_when_high" => format!("{label}：风险优先数达到高风险阈值的变更应分类为主要变更"),
        "required_when_high" => format!("{label}：高风险的失效模式须填写控制措施"),
        "one_per_person" => format!("{label}：同一人只能代表一个部门签名，请由该部门的其他人员批准"),
        "awaiting" => format!("{label}：该部门不在待批准之列，或已签名"),
        "affected" => format!("{label}不在本变更的受影响文件之列"),
        "revised" => format!("{label}已按本变更起草过修订版"),
        "done" => format!("{label}已完成"),
        "expired_on_receipt" => format!("{label}已过，过期的批次不能入库（期初建账登记已有库存除外）"),
        "same_place" => format!("{label}：批次已在此位置，请填写新的库房、柜或层"),
        "decimal" => format!("{label}应为数字，按实际读数书写（如 25.31）"),
        "places" => format!("{label}最多保留 {arg} 位小数，与仪器的读数精度一致"),
        "min" => format!("{label}不应小于 {arg}"),
        "max" => format!("{label}不应大于 {arg}"),
        "calculated" => format!("{label}是计算结果，由公式自动得出，不能手工填写"),
        "max_bytes" => match arg.parse::<u64>() {
            Ok(n) if n >= 1024 * 1024 => format!("{label}超过了允许的大小（最大 {} MB）", n / (1024 * 1024)),
            Ok(n) => format!("{label}超过了允许的大小（最大 {n} 字节）"),
            Err(_) => format!("{label}超过了允许的大小"),
        },
        "max_items" => format!("{label}一次最多 {arg} 个"),
        "file" => format!("{label}应上传文件"),
        "base64" => format!("{label}的文件内容无法读取，请重新选择文件"),
        "may_handle" => format!("{label}须为本局有风险处置权限的人员"),
        "company" => format!("{label}：该异常发生的场所未关联企业，请人工登记"),
        "from_result" => format!("{label}取自所选的仪器数据，不能手工填写"),
        "weighing" => format!("{label}：所选的仪器数据不是天平称量值"),
        "stable" => format!("{label}：所选的称量值是不稳定的动态读数，请待天平稳定后重新称量"),
        "peak" => format!("{label}：所选的仪器数据中没有名为“{arg}”的色谱峰"),
        "peak_value" => format!("{label}：所选的仪器数据中，色谱峰“{arg}”没有这一项数值"),
        "result_unit" => format!("{label}：仪器数据的单位为 {arg}，与本字段的单位不一致"),
        "result_field" => format!("{label}应为本模板（表格中为同一行）的仪器数据字段"),
        "weight" => format!("{label}：称量值不需要填写峰名称"),
        "calculation" => format!("{label}无法计算，请核对参与计算的数值"),
        "controlled" => format!("{label}：管制化学品须在库房双人领用，不能在记录中直接使用"),
        "amount" => format!("{label}的用量应为大于 0 的数字，单位与试剂的计量单位相同"),
        "key" => format!("{label}应以小写字母开头，只含小写字母、数字和下划线，最长 40 个字符"),
        "column" => format!("{label}：“名称[]”只能用于表格的列"),
        "numeric" => format!("{label}只适用于数值或计算结果字段"),
        "choice" => format!("{label}只适用于选项字段"),
        "order" => format!("{label}低于下限"),
        "count" if !to.is_empty() => format!("{label}的数量应为 {from} 至 {to} 个"),
        "draft_open" => format!("{label}：已有一个未批准的草稿版本，请先完成它"),
        "max_fields" => format!("{label}：字段（含表格各行）最多 {arg} 个"),
        "formula" => {
            let why = match arg {
                "syntax" => "书写有误",
                "unknown_field" => "引用了模板中没有的数值字段",
                "cycle" => "计算字段相互引用，形成循环",
                "too_long" => "过长",
                "too_deep" => "括号嵌套过深",
                "unknown_function" => "使用了不支持的函数",
                "arity" => "函数的参数个数不对",
                _ => "无法计算",
            };
            format!("{label}{why}")
        }
        _ => format!("{label}不符合要求"),
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn each_rule_reads_as_a_chinese_sentence() {
        assert_eq!(sentence("联系电话", "required"), "联系电话为必填项");
        assert_eq!(sentence("类型", "one_of:holiday,workday,"), "类型不是可用的值，应为其中之一：holiday、workday");
        assert_eq!(sentence("名称", "length:1..50"), "名称的长度应为 1 至 50 个字符");
        assert_eq!(sentence("受理时限", "range:1..60"), "受理时限应在 1 至 60 之间");
        assert_eq!(sentence("日期", "date:YYYY-MM-DD"), "日期不是有效的日期，应写作 YYYY-MM-DD");
        assert_eq!(sentence("证照", "exists"), "证照所指的记录不存在");
        assert_eq!(sentence("用户名", "unique"), "用户名已被使用，请换一个");
        assert_eq!(
            sentence("所属企业", "org_pick"),
            "所属企业：未找到这个机构，请输入名称或代码的一部分，再从列表中选择"
        );
        assert_eq!(sentence("申请单位", "has_authority"), "申请单位不符合要求");
        assert_eq!(
            sentence("联系电话", "format:phone"),
            "联系电话应为 11 位手机号或带区号的固定电话（如 0571-88886666）"
        );
        assert_eq!(sentence("营业执照", "duplicate"), "营业执照与已上传的另一份文件内容相同，请勿重复上传");
        assert_eq!(sentence("CAS 号", "cas_check"), "CAS 号的校验位不正确，请核对 CAS 号是否抄错");
        assert!(sentence("CAS 号", "cas_format").starts_with("CAS 号的格式应为 2–7 位数字"));
    }
}
