//! Values bound to statements assembled from fixed fragments (the entry
//! pages and search, whose filters vary): the SQL only ever holds `$N`
//! placeholders, never a value.

use sqlx::postgres::PgArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::Postgres;

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// A statement being assembled and its arguments, numbered from 1.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// Append a fragment of SQL.
    pub(crate) fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Bind `arg` and return its placeholder (`$3`).
    pub(crate) fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Bind `arg` and append its placeholder.
    pub(crate) fn bind(&mut self, arg: Arg) -> &mut Self {
        let p = self.arg(arg);
        self.text.push_str(&p);
        self
    }

    /// The statement, decoded as `T`.
    pub(crate) fn query_as<T>(&self) -> QueryAs<'_, Postgres, T, PgArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let mut q = sqlx::query_as(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.as_str()),
            };
        }
        q
    }

    /// The statement, rows left undecoded.
    pub(crate) fn query(&self) -> Query<'_, Postgres, PgArguments> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(s) => q.bind(s.as_str()),
            };
        }
        q
    }
}
