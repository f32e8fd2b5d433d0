//! An error with its causes, for logs: `cannot connect to source database
//! postgres://db/x: pool timed out`. Errors keep their causes as
//! `#[source]` (so `anyhow`'s `{:#}` and callers can walk them); a log
//! line that shows only the outermost message would drop the reason.

use std::fmt;

/// Displays `error`, then each cause after `: `.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_follow_the_message() {
        let e = crate::db::DbError::BadUrl {
            url: "x://y".into(),
            source: crate::db::BadUrl::Scheme,
        };
        assert_eq!(
            Chain(&e).to_string(),
            "URL x://y is invalid: expected sqlite://, postgres:// or mysql://"
        );
    }
}
