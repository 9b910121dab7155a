//! A validation report as JSON, a self-contained HTML page (zh-CN) and an Excel workbook (the
//! registry's one `.xlsx` writer). Pure: it returns text and bytes.

use crate::validate::Report;
use yaolian_core::xml::escape;

/// The report as indented JSON.
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The header and rows the HTML and Excel forms share.
pub fn rows(r: &Report) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec!["规则", "严重程度", "位置", "说明"];
    let rows = r
        .findings
        .iter()
        .map(|f| vec![f.rule.clone(), f.severity.zh().to_string(), f.location.clone(), f.message.clone()])
        .collect();
    (header, rows)
}

/// The report as an HTML page a reviewer can open in any browser.
pub fn html(r: &Report) -> String {
    let (header, rows) = rows(r);
    let mut body = String::new();
    for row in &rows {
        let tone = match row[1].as_str() {
            "错误" => "e",
            "警告" => "w",
            _ => "i",
        };
        body.push_str(&format!(
            "<tr class=\"{tone}\"><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
            escape(&row[0]),
            escape(&row[1]),
            escape(&row[2]),
            escape(&row[3])
        ));
    }
    let sequences: Vec<String> = r
        .sequences
        .iter()
        .map(|s| format!("{}（{} 个文件，{:.1} MB，{} 个叶）", s.sequence, s.files, s.bytes as f64 / 1e6, s.leaves))
        .collect();
    let verdict = if r.passes() { "通过：没有错误" } else { "未通过：存在错误" };
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>eCTD 验证报告</title><style>body{{font-family:sans-serif;margin:1rem;}}table{{border-collapse:collapse;width:100%}}\
td,th{{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}}tr.e td:nth-child(2){{color:#b00020}}\
tr.w td:nth-child(2){{color:#a15c00}}</style></head><body>\n<h1>eCTD 验证报告</h1>\n\
<p>规则集：{}（版本 {}）；依据：{}</p>\n<p>申报资料：<code>{}</code></p>\n<p>序列：{}</p>\n\
<p><strong>{verdict}</strong>。错误 {}，警告 {}，提示 {}{}。</p>\n<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n{body}</tbody></table>\n</body></html>\n",
        escape(&r.rule_set),
        escape(&r.rule_set_version),
        escape(&r.basis),
        escape(&r.package),
        escape(&sequences.join("；")),
        r.errors,
        r.warnings,
        r.infos,
        if r.omitted > 0 { format!("（另有 {} 条同类问题未列出）", r.omitted) } else { String::new() },
        header[0],
        header[1],
        header[2],
        header[3],
    )
}

/// The report as an Excel workbook.
pub fn xlsx(r: &Report) -> Result<Vec<u8>, String> {
    let (header, rows) = rows(r);
    yaolian_registry::table::write_xlsx("验证报告", &header, &rows).map_err(|e| e.to_string())
}
