//! Scalars of the contract: `Vnd` (whole đồng) and `Date` (ISO calendar date).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

use crate::domain::funding::MAX_VND;

/// Whole Vietnamese đồng as a JSON integer, |n| ≤ 2^53−1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vnd(pub i64);

#[Scalar(name = "Vnd")]
impl ScalarType for Vnd {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => match n.as_i64() {
                Some(v) if v.abs() <= MAX_VND => Ok(Vnd(v)),
                _ => Err(InputValueError::custom(
                    "Vnd is a whole number of đồng, at most 2^53−1",
                )),
            },
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

/// ISO 8601 calendar date, YYYY-MM-DD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("a Date is written YYYY-MM-DD")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}
