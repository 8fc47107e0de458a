//! JSON held in text columns (draw rules, ranking and prize rules, papers, answers, options,
//! media): decoded into typed values on the way out of the store, encoded on the way in.
//!
//! A value that does not decode is an error naming the table and column, never a default: an
//! empty draw rule or an empty prize list read from a damaged row would silently change who
//! wins. The text stays text, so one schema serves SQLite and PostgreSQL.

use serde::{Serialize, de::DeserializeOwned};

use sea_orm::DbErr;

/// Decodes `text`, read from `table.column`.
///
/// Fails (an internal error, logged with the column and the reason) when the text is not the
/// JSON of a `T`.
pub fn decode<T: DeserializeOwned>(table: &str, column: &str, text: &str) -> Result<T, DbErr> {
    serde_json::from_str(text).map_err(|e| {
        DbErr::Type(format!(
            "{table}.{column} holds a value that does not decode: {e}"
        ))
    })
}

/// Encodes `value` for a text column.
///
/// Fails only for values serde cannot write as JSON (maps with non-string keys), which the
/// types stored here do not have.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<String, DbErr> {
    serde_json::to_string(value).map_err(|e| DbErr::Custom(format!("cannot encode JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_column_is_an_error_that_names_it_not_a_default() {
        let err = decode::<Vec<u32>>("quizzes", "draw_rules", "[1, 2").unwrap_err();
        assert!(err.to_string().contains("quizzes.draw_rules"), "{err}");
        assert_eq!(decode::<Vec<u32>>("t", "c", "[1,2]").unwrap(), vec![1, 2]);
        assert_eq!(encode(&vec![1, 2]).unwrap(), "[1,2]");
    }
}
