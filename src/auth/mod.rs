//! Authentication: passwords, tokens, and the actor a token stands for.

pub mod actor;
pub mod jwt;
pub mod password;
