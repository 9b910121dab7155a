//! Field-by-field differences between two versions of a record (JSON objects).

use serde_json::Value;

/// One field that differs: its name, the old value and the new one (`None` = absent).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Fields whose values differ between `old` and `new`, sorted by name. Non-objects compare as
/// one field named `""`.
pub fn object_diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    match (old.as_object(), new.as_object()) {
        (Some(a), Some(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| FieldChange { field: k.clone(), old: a.get(k).cloned(), new: b.get(k).cloned() })
                .collect()
        }
        _ if old == new => Vec::new(),
        _ => vec![FieldChange { field: String::new(), old: Some(old.clone()), new: Some(new.clone()) }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_added_and_removed_fields() {
        let a = json!({"name": "甲", "roles": ["x"], "gone": 1, "same": true});
        let b = json!({"name": "乙", "roles": ["x", "y"], "added": 2, "same": true});
        let d = object_diff(&a, &b);
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["added", "gone", "name", "roles"]);
        assert_eq!(d[0].old, None);
        assert_eq!(d[1].new, None);
        assert_eq!(d[2].new, Some(json!("乙")));
        assert!(object_diff(&a, &a).is_empty());
    }
}
