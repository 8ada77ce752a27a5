//! Statistics (todo).
